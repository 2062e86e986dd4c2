//! The simulated hypervisor: answers the GHCB MSR protocol and the GHCB
//! calls the SVSM makes.

use svsm_protocol::GuestPhysAddr;
use svsm_snp::msr_protocol::{PageState, info};

use crate::rmp::Rmp;

/// The hypervisor's state and how it behaves.
pub struct Hypervisor {
    /// The GHCB GPA the guest registered.
    pub registered_ghcb: Option<GuestPhysAddr>,
    /// Hypervisor features it announces (bits of
    /// [`svsm_snp::msr_protocol::hv_features`]).
    pub features: u64,
    /// The termination request, once the guest sent one: (set, code).
    pub terminated: Option<(u8, u8)>,
}

impl Default for Hypervisor {
    fn default() -> Self {
        Self {
            registered_ghcb: None,
            features: svsm_snp::msr_protocol::hv_features::REQUIRED,
            terminated: None,
        }
    }
}

impl Hypervisor {
    /// Answers an MSR-protocol request; returns the new GHCB MSR value.
    pub fn msr_protocol(&mut self, request: u64, rmp: &mut Rmp) -> u64 {
        match request & 0xfff {
            info::SEV_INFO_REQUEST => (2 << 48) | (2 << 32) | (51 << 24) | info::SEV_INFO_RESPONSE,
            info::HV_FEATURES_REQUEST => (self.features << 12) | info::HV_FEATURES_RESPONSE,
            info::REGISTER_GHCB_REQUEST => {
                let gpa = request & !0xfff;
                self.registered_ghcb = Some(GuestPhysAddr::new(gpa));
                gpa | info::REGISTER_GHCB_RESPONSE
            }
            info::PAGE_STATE_REQUEST => {
                let gpa = GuestPhysAddr::new(request & 0x000f_ffff_ffff_f000);
                let op = (request >> 52) & 0xf;
                let error = match op {
                    x if x == PageState::Private as u64 => {
                        rmp.set_assigned(gpa, true);
                        0
                    }
                    x if x == PageState::Shared as u64 => {
                        rmp.set_assigned(gpa, false);
                        0
                    }
                    _ => 1,
                };
                (error << 32) | info::PAGE_STATE_RESPONSE
            }
            info::TERMINATE_REQUEST => {
                self.terminated = Some((((request >> 12) & 0xf) as u8, (request >> 16) as u8));
                request
            }
            // Unknown request: the spec lets the hypervisor answer anything;
            // this one echoes it, which the guest must reject.
            _ => request,
        }
    }
}
