//! libFuzzer target: the IGVM file reader (see `svsm_fuzz::igvm`).
#![no_main]
svsm_fuzz::libfuzzer_target!(svsm_fuzz::igvm::one_input);
