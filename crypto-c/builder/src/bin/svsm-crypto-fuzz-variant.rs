//! `svsm-crypto-fuzz-variant OUT_DIR`: builds the fuzzing variant of the
//! module's sources (see `svsm_crypto_builder::fuzz`) into
//! OUT_DIR/libsvsm_crypto_fuzz.a. Run by scripts/fuzz.sh with CC=clang-14.

fn main() {
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: svsm-crypto-fuzz-variant OUT_DIR");
        std::process::exit(2);
    };
    let opts = svsm_crypto_builder::Options::default();
    match svsm_crypto_builder::fuzz::build(&opts, std::path::Path::new(&out)) {
        Ok(archive) => println!("{}", archive.display()),
        Err(e) => {
            eprintln!("building the fuzzing variant failed: {e}");
            std::process::exit(1);
        }
    }
}
