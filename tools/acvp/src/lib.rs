//! ACVP harness for the SVSM cryptographic module.
//!
//! `capabilities` describes what the module claims, `run` answers ACVP
//! vector sets with the module, and `check` runs the sample vector sets,
//! compares the answers with the expected ones and checks random answers
//! with implementations that are not the module.

// Vector files are parsed in safe Rust only (docs/security.md, Fuzzing).
#![forbid(unsafe_code)]

pub mod algs;
pub mod baseline;
pub mod capabilities;
pub mod check;
pub mod generate;
pub mod json;
pub mod module;
pub mod run;
pub mod shim;
pub mod standin;
pub mod verdict;
pub mod wycheproof;
