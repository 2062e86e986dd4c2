//! libFuzzer target: the ACVP JSON reader (see `svsm_fuzz::acvp_json`).
#![no_main]
svsm_fuzz::libfuzzer_target!(svsm_fuzz::acvp_json::one_input);
