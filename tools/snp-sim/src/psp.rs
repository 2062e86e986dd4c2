//! The simulated PSP: holds the VMPCKs and answers guest messages.

/// The simulated PSP firmware.
pub struct Psp {
    vmpck0: [u8; 32],
}

impl Psp {
    /// A PSP whose VMPCK0 is `vmpck0` (the same key the simulated secrets
    /// page carries).
    pub fn new(vmpck0: [u8; 32]) -> Self {
        Self { vmpck0 }
    }

    /// VMPCK0, to lay into the simulated secrets page.
    pub fn vmpck0(&self) -> [u8; 32] {
        self.vmpck0
    }
}
