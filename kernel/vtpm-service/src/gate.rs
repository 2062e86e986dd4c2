//! The service's end of the kernel crypto gate: the engine's
//! `GateCrypto` over the crypto page, with the `CRYPTO` task service as the
//! way across.

use core::arch::asm;

use svsm_abi::service::CRYPTO;
use svsm_abi::vector;
use svsm_abi::vtpm_service::{CRYPTO_BYTES, CRYPTO_VA};
use svsm_vtpm::gate::{Gate, GateCrypto};

/// The `CRYPTO` task service.
pub struct TaskService;

impl Gate for TaskService {
    fn call(&self, _page: &mut [u8]) -> u64 {
        let status: u64;
        // SAFETY: the kernel reads and writes only the crypto page (which
        // `_page` borrows for the call) and RAX.
        unsafe {
            asm!(
                "int {vector}",
                vector = const vector::TASK_SERVICE,
                inlateout("rax") CRYPTO => status,
            );
        }
        status
    }
}

/// The engine's crypto, in the kernel's module behind the gate.
pub type ServiceCrypto = GateCrypto<TaskService>;

/// The crypto over the gate; call once (it takes the crypto page).
pub fn crypto() -> ServiceCrypto {
    // SAFETY: the kernel maps CRYPTO_BYTES at CRYPTO_VA read-write in this
    // address space before it first enters the service, nothing else in
    // the service uses that memory, and `manufacture` calls this once.
    let page = unsafe { core::slice::from_raw_parts_mut(CRYPTO_VA as *mut u8, CRYPTO_BYTES) };
    GateCrypto::new(TaskService, page)
}
