//! libFuzzer target: the start-info parser (see `svsm_fuzz::boot_params`).
#![no_main]
svsm_fuzz::libfuzzer_target!(svsm_fuzz::boot_params::one_input);
