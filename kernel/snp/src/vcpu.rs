//! CREATE_VCPU and DELETE_VCPU on SNP: how Linux starts every CPU after the
//! first.
//!
//! The guest prepares a VMSA page in its own memory and names it. The SVSM:
//!
//! 1. refuses a VMSA that is 2 MiB aligned (SNP erratum: the processor can
//!    mistake such a page for a 2 MiB one), or a VMSA or Calling Area in SVSM
//!    memory, or a page already serving as a VMSA;
//! 2. takes the page from the guest (RMPADJUST: no permissions for the
//!    guest's VMPL) and flushes the guest's TLB entries on every vCPU
//!    *before* reading it, so the guest cannot change what was checked (no
//!    broadcast flush: the page is given back, INVALID_REQUEST);
//! 3. checks that the page is validated (PVALIDATE answering "no change":
//!    a page that was not validated is invalidated again and refused), and
//!    that the VMSA is for the guest's VMPL with SEV-SNP active: a guest
//!    must not create a vCPU that runs at VMPL0;
//! 4. marks it a VMSA (RMPADJUST with the VMSA bit, for the guest's VMPL)
//!    and asks the hypervisor to start it (SNP_AP_CREATION, with the VMSA's
//!    SEV features).
//!
//! Every failure after step 2 undoes what was done, so the page is the
//! guest's again. DELETE_VCPU asks the hypervisor to destroy the vCPU,
//! clears the VMSA bit and gives the page back.

use alloc::vec::Vec;

use spin::Mutex;
use svsm_protocol::GuestPhysAddr;
use svsm_protocol::addr::{PAGE_SIZE, PAGE_SIZE_2M};
use svsm_protocol::error::SvsmError;
use svsm_protocol::platform::PageSize;

use crate::calls::ApRequest;
use crate::ghcb::Ghcb;
use crate::hw::{PvalidateOutcome, SnpHardware, VmplPermissions};
use crate::pvalidate::{GuestLayout, GuestPages};

/// Offset of the VMPL byte in a VMSA (the save area's `vmpl`).
pub const VMSA_VMPL: u64 = 0xca;
/// Offset of SEV_FEATURES in a VMSA.
pub const VMSA_SEV_FEATURES: u64 = 0x3b0;
/// SEV_FEATURES bit 0: SEV-SNP active.
pub const SEV_FEATURE_SNP: u64 = 1 << 0;

/// A vCPU the guest created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vcpu {
    pub vmsa: GuestPhysAddr,
    pub caa: GuestPhysAddr,
    pub apic_id: u32,
}

/// The vCPUs the guest created and has not deleted.
#[derive(Default)]
pub struct Vcpus(Mutex<Vec<Vcpu>>);

impl Vcpus {
    pub const fn new() -> Self {
        Self(Mutex::new(Vec::new()))
    }

    /// The live vCPU whose VMSA is `vmsa` (the kernel serves its calls
    /// through its Calling Area).
    pub fn find(&self, vmsa: GuestPhysAddr) -> Option<Vcpu> {
        self.0.lock().iter().copied().find(|v| v.vmsa == vmsa)
    }
}

/// What the SVSM needs for the vCPU calls.
pub struct VcpuContext<'a, H: SnpHardware> {
    pub hw: &'a H,
    pub ghcb: &'a Ghcb,
    pub layout: &'a GuestLayout,
    pub vcpus: &'a Vcpus,
}

impl<H: SnpHardware> VcpuContext<'_, H> {
    /// Sets the guest's permissions on the VMSA page.
    fn guest_access(&self, vmsa: GuestPhysAddr, perms: VmplPermissions) -> Result<(), SvsmError> {
        GuestPages {
            hw: self.hw,
            layout: self.layout,
        }
        .set_guest_access(vmsa, PageSize::Size4K, perms)
        .map_err(|_| SvsmError::InvalidRequest)
    }

    /// Gives the page back to the guest (every permission, no VMSA bit).
    fn give_back(&self, vmsa: GuestPhysAddr) -> Result<(), SvsmError> {
        self.guest_access(vmsa, VmplPermissions::ALL)
    }

    /// CREATE_VCPU (see the module comment). `vmsa` and `caa` are page
    /// aligned and guest memory (the protocol checked).
    pub fn create(
        &self,
        vmsa: GuestPhysAddr,
        caa: GuestPhysAddr,
        apic_id: u32,
    ) -> Result<(), SvsmError> {
        if vmsa.is_aligned(PAGE_SIZE_2M) || vmsa == caa {
            return Err(SvsmError::InvalidParameter);
        }
        let svsm = self.layout.svsm();
        if svsm.overlaps(vmsa, PAGE_SIZE) || svsm.overlaps(caa, PAGE_SIZE) {
            return Err(SvsmError::InvalidAddress);
        }
        // Held to the end, so two creations cannot race for one page.
        let mut vcpus = self.vcpus.0.lock();
        if vcpus.iter().any(|v| v.vmsa == vmsa) {
            return Err(SvsmError::InvalidParameter);
        }
        // A page that is not the guest's private memory fails here.
        self.guest_access(vmsa, VmplPermissions::NONE)
            .map_err(|_| SvsmError::InvalidParameter)?;
        // Other vCPUs may still write it through stale translations.
        if self.hw.flush_guest_tlb().is_err() {
            self.give_back(vmsa)?;
            return Err(SvsmError::InvalidRequest);
        }
        match self.hw.pvalidate(vmsa, PageSize::Size4K, true) {
            Ok(PvalidateOutcome::Unchanged) => {}
            Ok(PvalidateOutcome::Changed) => {
                // It was not validated: invalidate it again. An invalid page
                // keeps no guest permissions, so it is not given back.
                let _ = self.hw.pvalidate(vmsa, PageSize::Size4K, false);
                return Err(SvsmError::InvalidParameter);
            }
            Err(_) => {
                self.give_back(vmsa)?;
                return Err(SvsmError::InvalidParameter);
            }
        }
        match self.check_and_start(vmsa, apic_id) {
            Ok(()) => {
                vcpus.push(Vcpu { vmsa, caa, apic_id });
                Ok(())
            }
            Err(e) => {
                self.give_back(vmsa)?;
                Err(e)
            }
        }
    }

    /// Steps 3 (the VMSA's fields) and 4, on a validated page the guest can
    /// no longer touch.
    fn check_and_start(&self, vmsa: GuestPhysAddr, apic_id: u32) -> Result<(), SvsmError> {
        let field = |offset: u64, out: &mut [u8]| {
            let at = vmsa.checked_add(offset).ok_or(SvsmError::InvalidAddress)?;
            self.hw
                .read_guest(at, out)
                .map_err(|_| SvsmError::InvalidParameter)
        };
        let mut vmpl = [0u8];
        field(VMSA_VMPL, &mut vmpl)?;
        let mut features = [0u8; 8];
        field(VMSA_SEV_FEATURES, &mut features)?;
        let sev_features = u64::from_le_bytes(features);
        let guest_vmpl = self.layout.guest_vmpl();
        if vmpl[0] != guest_vmpl || sev_features & SEV_FEATURE_SNP == 0 {
            return Err(SvsmError::InvalidParameter);
        }
        self.hw
            .rmpadjust(
                vmsa,
                PageSize::Size4K,
                guest_vmpl,
                VmplPermissions::NONE,
                true,
            )
            .map_err(|_| SvsmError::InvalidParameter)?;
        let ap = self.ghcb.ap_creation(
            self.hw,
            ApRequest::Create,
            apic_id,
            guest_vmpl,
            vmsa,
            sev_features,
        );
        if ap.is_err() {
            // The hypervisor did not take it: clear the VMSA bit again.
            self.clear_vmsa_bit(vmsa)?;
            return Err(SvsmError::InvalidRequest);
        }
        Ok(())
    }

    fn clear_vmsa_bit(&self, vmsa: GuestPhysAddr) -> Result<(), SvsmError> {
        self.hw
            .rmpadjust(
                vmsa,
                PageSize::Size4K,
                self.layout.guest_vmpl(),
                VmplPermissions::NONE,
                false,
            )
            .map_err(|_| SvsmError::InvalidRequest)
    }

    /// DELETE_VCPU: a VMSA this SVSM did not create is INVALID_PARAMETER;
    /// a hypervisor that does not destroy the vCPU, or a VMSA still in use,
    /// leaves it created (INVALID_REQUEST).
    pub fn delete(&self, vmsa: GuestPhysAddr) -> Result<(), SvsmError> {
        let mut vcpus = self.vcpus.0.lock();
        let index = vcpus
            .iter()
            .position(|v| v.vmsa == vmsa)
            .ok_or(SvsmError::InvalidParameter)?;
        let vcpu = vcpus[index];
        self.ghcb
            .ap_creation(
                self.hw,
                ApRequest::Destroy,
                vcpu.apic_id,
                self.layout.guest_vmpl(),
                vmsa,
                0,
            )
            .map_err(|_| SvsmError::InvalidRequest)?;
        self.clear_vmsa_bit(vmsa)?;
        vcpus.remove(index);
        self.give_back(vmsa)
    }
}
