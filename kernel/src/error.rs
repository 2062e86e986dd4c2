//! The kernel's boot error: one enum, with a conversion from each subsystem's
//! error, so the boot sequence can use `?` throughout and the single fatal
//! path ([`crate::fatal::boot_error`]) prints any of them.

use core::fmt;

use crate::cpu::xsave::XsaveError;
use crate::mm::frame::FrameError;
use crate::mm::layout::LayoutError;
use crate::mm::paging::PagingError;
use crate::platform::PlatformError;
use svsm_boot_params::start_info::StartInfoError;

#[derive(Debug)]
pub enum KernelError {
    StartInfo(StartInfoError),
    Layout(LayoutError),
    Frames(FrameError),
    Paging(PagingError),
    Xsave(XsaveError),
    Platform(PlatformError),
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StartInfo(e) => write!(
                f,
                "boot parameters (PVH start info or IGVM launch info): {e}"
            ),
            Self::Layout(e) => write!(f, "{e}"),
            Self::Frames(e) => write!(f, "frame allocator: {e}"),
            Self::Paging(e) => write!(f, "page tables: {e}"),
            Self::Xsave(e) => write!(f, "extended state: {e}"),
            Self::Platform(e) => write!(f, "platform: {e}"),
        }
    }
}

macro_rules! from_error {
    ($($source:ty => $variant:ident),* $(,)?) => {
        $(impl From<$source> for KernelError {
            fn from(e: $source) -> Self {
                Self::$variant(e)
            }
        })*
    };
}

from_error! {
    StartInfoError => StartInfo,
    LayoutError => Layout,
    FrameError => Frames,
    PagingError => Paging,
    XsaveError => Xsave,
    PlatformError => Platform,
}
