//! Safe calls into a host build of `crypto-c/src/ct_inverse.c`, the
//! module's constant-time inversion modulo the P-256 and P-384 group orders
//! (Montgomery form, wolfCrypt's `sp_*_mont_inv_order` contract).

use core::cell::Cell;
use core::ffi::c_void;

/// The C `svsm_ct_modulus`, only ever used behind a pointer.
#[repr(C)]
pub struct Modulus {
    _opaque: [u8; 0],
}

unsafe extern "C" {
    static svsm_ct_p256_order: Modulus;
    static svsm_ct_p384_order: Modulus;
    fn svsm_ct_inverse_mont_mod_n(out: *mut u64, input: *const u64, m: *const Modulus);
}

thread_local! {
    static WIPED: Cell<usize> = const { Cell::new(0) };
}

/// The module's `svsm_secure_zero` (freestanding.c, which cannot be built
/// for the host: it defines memcpy and friends). Counts the bytes wiped on
/// this thread, so tests can check the inversion wipes its state.
///
/// # Safety
/// `p` is valid for writes of `n` bytes (the C caller's contract).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svsm_secure_zero(p: *mut c_void, n: usize) {
    let p = p.cast::<u8>();
    for i in 0..n {
        // SAFETY: the caller passes a buffer of n writable bytes.
        unsafe { p.add(i).write_volatile(0) };
    }
    WIPED.with(|w| w.set(w.get() + n));
}

/// Bytes wiped by `svsm_secure_zero` on this thread so far.
pub fn wiped_bytes() -> usize {
    WIPED.with(Cell::get)
}

/// out = in^-1 * R^2 mod n (R = 2^256), i.e. (a R)^-1 -> a^-1 R; 0 for 0.
pub fn inverse_mont_p256(input: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    // SAFETY: the P-256 modulus has 4 words; both arrays hold 4 words and
    // the C function reads and writes exactly that many.
    unsafe { svsm_ct_inverse_mont_mod_n(out.as_mut_ptr(), input.as_ptr(), &svsm_ct_p256_order) };
    out
}

/// As [`inverse_mont_p256`] modulo the P-384 order (R = 2^384).
pub fn inverse_mont_p384(input: &[u64; 6]) -> [u64; 6] {
    let mut out = [0u64; 6];
    // SAFETY: the P-384 modulus has 6 words; both arrays hold 6 words.
    unsafe { svsm_ct_inverse_mont_mod_n(out.as_mut_ptr(), input.as_ptr(), &svsm_ct_p384_order) };
    out
}

/// In place (out and in the same array), as wolfCrypt calls it.
pub fn inverse_mont_p256_in_place(x: &mut [u64; 4]) {
    let p = x.as_mut_ptr();
    // SAFETY: 4 words, read in full before the first write (the C contract
    // allows out == in).
    unsafe { svsm_ct_inverse_mont_mod_n(p, p, &svsm_ct_p256_order) };
}
