//! libFuzzer target: the vTPM command engine (see `svsm_fuzz::tpm`).
#![no_main]
svsm_fuzz::libfuzzer_target!(svsm_fuzz::tpm::one_input);
