//! Compiles crypto-c/src/ct_inverse.c for the host, with the module's
//! warning level (every warning an error).

fn main() {
    let src = "../../crypto-c/src";
    println!("cargo:rerun-if-changed={src}/ct_inverse.c");
    println!("cargo:rerun-if-changed={src}/ct_inverse.h");
    cc::Build::new()
        .file(format!("{src}/ct_inverse.c"))
        .include(src)
        .std("gnu11")
        .opt_level(2)
        .flag("-Wall")
        .flag("-Wextra")
        .warnings_into_errors(true)
        .compile("svsm_ct_inverse");
}
