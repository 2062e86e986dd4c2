//! libFuzzer target: the SVSM protocol dispatcher (see `svsm_fuzz::protocol`).
#![no_main]
svsm_fuzz::libfuzzer_target!(svsm_fuzz::protocol::one_input);
