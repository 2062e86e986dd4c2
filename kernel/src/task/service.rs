//! Long-lived ring-3 services.
//!
//! A service is a ring-3 image (the harness's format) loaded once into its
//! own address space, with two buffers shared with the kernel: the request
//! buffer and the crypto page (`svsm_abi::vtpm_service`). The kernel enters
//! it at its entry point once per request, on its own stack, with the
//! request's [`Op`]; the service keeps its state in its memory between
//! requests and answers with its exit status. Its only ways into the kernel
//! are its console, its exit and the crypto gate. A fault ends the service
//! for good: every later call gets [`ServiceDown`], and the kernel and
//! everything else carry on.

use log::{error, info};
use svsm_abi::harness::STACK_TOP;
use svsm_abi::vtpm_service::{CRYPTO_PAGES, CRYPTO_VA, Op, REQUEST_PAGES, REQUEST_VA};
use svsm_vtpm::ModuleCrypto;

use super::space::{SharedBuf, UserSpace};
use super::{Role, Task, TaskEnd, run};
use crate::mm::frame::FrameAllocator;
use crate::mm::paging::PagingError;

/// The service faulted (or never started): it serves nothing any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceDown;

pub struct Service {
    name: &'static str,
    space: UserSpace,
    entry: u64,
    request: SharedBuf,
    crypto_page: SharedBuf,
    crypto: ModuleCrypto<'static>,
    alive: bool,
}

// SAFETY: one CPU runs the kernel; the module handle and DRBG inside
// `crypto` are used only by whoever holds the service (behind a lock).
unsafe impl Send for Service {}

impl Service {
    /// Loads `image` into a new address space with its shared buffers;
    /// `None` when the image is invalid.
    pub fn load(
        frames: &mut FrameAllocator,
        name: &'static str,
        image: &[u8],
        crypto: ModuleCrypto<'static>,
    ) -> Result<Option<Self>, PagingError> {
        let Some((mut space, header)) = UserSpace::load(frames, image)? else {
            error!(
                "service {name}: image header invalid ({} bytes)",
                image.len()
            );
            return Ok(None);
        };
        let request = SharedBuf::new(frames, &mut space, REQUEST_VA, REQUEST_PAGES)?;
        let crypto_page = SharedBuf::new(frames, &mut space, CRYPTO_VA, CRYPTO_PAGES)?;
        info!(
            "service {name}: {} bytes, own address space, request buffer {REQUEST_VA:#x}, crypto page {CRYPTO_VA:#x}",
            image.len()
        );
        Ok(Some(Self {
            name,
            space,
            entry: header.entry,
            request,
            crypto_page,
            crypto,
            alive: true,
        }))
    }

    /// The module instance its gate calls run in.
    pub fn crypto(&self) -> &ModuleCrypto<'static> {
        &self.crypto
    }

    /// The request buffer (the kernel's view).
    pub fn request(&mut self) -> &mut [u8] {
        self.request.bytes()
    }

    /// Enters the service for `op` with `arg`; its exit status. A fault
    /// ends the service.
    pub fn call(&mut self, op: Op, arg: u64) -> Result<u64, ServiceDown> {
        if !self.alive {
            return Err(ServiceDown);
        }
        let role = Role::Service {
            crypto: &self.crypto,
            page: &mut self.crypto_page,
        };
        let mut task = Task::new(self.name, &mut self.space, role);
        match run(&mut task, self.entry, STACK_TOP, [op as u64, arg, 0, 0, 0]) {
            TaskEnd::Exited(status) => Ok(status),
            TaskEnd::Faulted => {
                self.alive = false;
                error!(
                    "service {}: ended by its fault; it serves nothing any more",
                    self.name
                );
                Err(ServiceDown)
            }
        }
    }
}
