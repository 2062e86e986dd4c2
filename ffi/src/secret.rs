//! Fixed-capacity byte strings for secrets the shim hands out (PRKs, ECDH
//! shared secrets, private scalars). They are wiped when dropped and never
//! printed.

use zeroize::Zeroize;

/// Up to `N` secret bytes, wiped on drop.
///
/// # Invariants
///
/// `len <= N`; bytes past `len` are zero.
pub(crate) struct SecretBytes<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> SecretBytes<N> {
    /// `len` zero bytes. Callers pass a length their type bounds by `N`.
    pub(crate) fn zeroed(len: usize) -> Self {
        // INVARIANT: clamped to the capacity; all bytes are zero.
        SecretBytes {
            bytes: [0; N],
            len: len.min(N),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }
}

impl<const N: usize> Drop for SecretBytes<N> {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl<const N: usize> zeroize::ZeroizeOnDrop for SecretBytes<N> {}

impl<const N: usize> core::fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} secret bytes>", self.len)
    }
}
