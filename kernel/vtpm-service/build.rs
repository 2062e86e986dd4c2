//! The service is a ring-3 image in the guest harness's format: the same
//! build steps and linker script (kernel/harness/build.rs, harness.ld).

#[path = "../harness/build.rs"]
mod harness_build;

fn main() {
    harness_build::main();
}
