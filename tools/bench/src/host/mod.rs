//! The implementations side by side: the module (svsm-crypto.o through the
//! safe shim), OpenSSL's libcrypto (the `openssl` crate), RustCrypto, and the
//! FIPS-lineage peers AWS-LC (`aws-lc-rs`) and BoringSSL (`ring`), `peers.rs`.
//!
//! [`Fixture`] holds the inputs and the keys every implementation uses
//! (`fixture.rs`); `adapters.rs` calls one operation in each implementation;
//! [`check`] proves they agree before anything is timed, with the test
//! oracle's answers standing for RustCrypto (`agreement.rs`); [`bench`] times
//! each operation, interleaved across them (`timing.rs`).

mod adapters;
mod agreement;
mod fixture;
mod p256;
mod peers;
mod timing;

pub use agreement::check;
pub use fixture::Fixture;
pub use timing::{Bench, IMPLS, Row, bench};
