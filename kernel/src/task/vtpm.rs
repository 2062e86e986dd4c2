//! The vTPM: the `svsm-vtpm` engine as a ring-3 service
//! (kernel/vtpm-service, embedded here), served to the guest as protocol 2
//! through [`VtpmBackend`].
//!
//! At boot the service manufactures the TPM (hierarchy seeds from the
//! module's DRBG, through the crypto gate) and creates the EK from the TCG
//! ECC P-256 template; its public area is kept here for attestation. Each
//! guest command is copied into the request buffer and answered by one run
//! of the service; both sides check the lengths. A fault in the service
//! withdraws the vTPM ([`VtpmUnavailable`] from then on).

use alloc::vec::Vec;

use log::{error, info};
use spin::Mutex;
use svsm_abi::vtpm_service::bench::{CASES, ROUNDS, input_byte, median};
use svsm_abi::vtpm_service::gate::{self, HEADER_BYTES};
use svsm_abi::vtpm_service::{CRYPTO_BYTES, DATA_OFFSET, FAILED, FAULT_FIRST, MAX_DATA, Op};
use svsm_crypto::Module;
use svsm_protocol::vtpm::{VtpmBackend, VtpmUnavailable};
use svsm_vtpm::ModuleCrypto;

use super::service::Service;
use crate::cpu::tsc;
use crate::mm::frame::FrameAllocator;
use crate::mm::paging::PagingError;

static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vtpm-service.bin"));

pub struct Vtpm {
    service: Mutex<Service>,
    ek_public: Vec<u8>,
}

impl Vtpm {
    /// Loads the service and manufactures the TPM; `None` (reported) when
    /// that fails. `fault_first_request`: `vtpm=fault-first-request`.
    pub fn start(
        frames: &mut FrameAllocator,
        module: &'static Module,
        fault_first_request: bool,
    ) -> Result<Option<Self>, PagingError> {
        let crypto = match ModuleCrypto::new(module) {
            Ok(c) => c,
            Err(e) => {
                error!("vtpm: no DRBG instance for the service ({e:?})");
                return Ok(None);
            }
        };
        let Some(mut service) = Service::load(frames, "vtpm", IMAGE, crypto)? else {
            return Ok(None);
        };
        let flags = if fault_first_request { FAULT_FIRST } else { 0 };
        let len = match service.call(Op::Manufacture, flags) {
            Ok(len) if len as usize <= MAX_DATA => len as usize,
            other => {
                error!("vtpm: manufacture failed ({other:?}); no vTPM");
                return Ok(None);
            }
        };
        let ek_public = service.request()[DATA_OFFSET..DATA_OFFSET + len].to_vec();
        info!(
            "vtpm: manufactured in ring 3 (seeds from the module DRBG), EK ECC P-256 public area {len} bytes"
        );
        if fault_first_request {
            info!("vtpm: vtpm=fault-first-request: the service will fault on its first request");
        }
        Ok(Some(Self {
            service: Mutex::new(service),
            ek_public,
        }))
    }
}

impl Vtpm {
    /// `vtpm=bench`: each benchmark case timed (a) directly in the kernel,
    /// through the same gate code on a kernel buffer, and (b) from the
    /// service through the crypto gate; one console line per case.
    pub fn bench(&self) {
        let mut service = self.service.lock();
        let mut direct = [0u64; CASES.len()];
        let mut page = alloc::vec![0u8; CRYPTO_BYTES];
        for (median_cycles, case) in direct.iter_mut().zip(&CASES) {
            let mut samples = [0u64; ROUNDS];
            for sample in samples.iter_mut() {
                case.call.write(&mut page);
                let inputs: usize = case.call.inputs.iter().map(|&l| l as usize).sum();
                for (i, b) in page[HEADER_BYTES..HEADER_BYTES + inputs]
                    .iter_mut()
                    .enumerate()
                {
                    *b = input_byte(i);
                }
                let start = tsc::now();
                let status = svsm_vtpm::gate::serve(service.crypto(), &mut page);
                *sample = tsc::now().wrapping_sub(start);
                if status != gate::OK {
                    error!(
                        "vtpm gate bench {}: direct call failed ({status})",
                        case.name
                    );
                    return;
                }
            }
            *median_cycles = median(&mut samples);
        }
        let through_gate = match service.call(Op::Bench, 0) {
            Ok(len) if len as usize == 8 * CASES.len() => service.request(),
            other => {
                error!("vtpm gate bench: the service failed ({other:?})");
                return;
            }
        };
        for (i, (case, a)) in CASES.iter().zip(direct).enumerate() {
            let at = DATA_OFFSET + 8 * i;
            let mut word = [0u8; 8];
            word.copy_from_slice(&through_gate[at..at + 8]);
            let b = u64::from_le_bytes(word);
            info!(
                "vtpm gate bench {}: direct {a} cycles, gate {b} cycles, ratio {:.2}",
                case.name,
                b as f64 / a.max(1) as f64
            );
        }
    }
}

impl VtpmBackend for Vtpm {
    fn execute(
        &self,
        locality: u8,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, VtpmUnavailable> {
        let mut service = self.service.lock();
        if command.len() > MAX_DATA {
            return Err(VtpmUnavailable);
        }
        let buf = service.request();
        buf[..4].copy_from_slice(&(command.len() as u32).to_le_bytes());
        buf[4..8].copy_from_slice(&u32::from(locality).to_le_bytes());
        buf[DATA_OFFSET..DATA_OFFSET + command.len()].copy_from_slice(command);
        let len = service.call(Op::Execute, 0).map_err(|_| VtpmUnavailable)?;
        if len == FAILED {
            error!("vtpm: the service could not answer a command");
            return Err(VtpmUnavailable);
        }
        let len = usize::try_from(len).map_err(|_| VtpmUnavailable)?;
        if len > MAX_DATA || len > response.len() {
            error!("vtpm: the service answered {len} bytes, beyond the buffer");
            return Err(VtpmUnavailable);
        }
        response[..len].copy_from_slice(&service.request()[DATA_OFFSET..DATA_OFFSET + len]);
        Ok(len)
    }

    fn ek_public(&self) -> Option<&[u8]> {
        Some(&self.ek_public)
    }
}
