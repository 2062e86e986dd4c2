//! libFuzzer target: the SEV-SNP decoders (see `svsm_fuzz::snp`).
#![no_main]
svsm_fuzz::libfuzzer_target!(svsm_fuzz::snp::one_input);
