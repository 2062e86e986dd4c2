#!/usr/bin/env bash
# Installs what the build, the QEMU boot and the tests need, and nothing when
# it is all there already. Called by every Makefile target before it works.
#
# Usage: scripts/install-deps.sh [gdb]   (gdb: also the debugger, for make gdb)
#
# What and why (Debian 12 packages; apt-get runs through sudo unless root):
#   qemu-system-x86   boots the kernel (make run, boot tests, bench)
#   qemu-system-data  qboot.rom, the firmware that boots the PVH kernel silently
#   gcc, binutils     compile and `ld -r` the crypto object; nm/objdump check it
#   python3           the security-policy generator and the boot-test checks
#   python3-venv      make igvm-check installs PyPI sev-snp-measure into a venv
#   libclang-dev      bindgen (ffi/) reads svsm_crypto.h through libclang
#   libssl-dev,       the benchmarks (a workspace member, so built by the
#   pkg-config        tests too) compare with the system's OpenSSL
#   valgrind          make ct: memcheck runs the constant-time check (the
#                     package also ships valgrind/memcheck.h, its client requests)
#   clang-14,         the fuzz targets (make fuzz, make test's short runs):
#   libclang-rt-14-dev  clang's -fsanitize=fuzzer,address,undefined and the
#                     libFuzzer runtime the Rust targets link
#   tpm2-tools,       make vtpm-tests and make bench: Debian's TPM tools drive
#   libtss2-tcti-mssim0,  svsm-vtpm-sim (Microsoft simulator protocol) and
#   libtss2-tcti-swtpm0,  swtpm (libtpms, the reference TPM the scenarios
#   swtpm, swtpm-tools    are compared with) through these two TCTIs;
#                     swtpm_ioctl (swtpm-tools) power-cycles swtpm
#   python3-yaml      the scenario suite parses the tools' YAML output
#   openssl           the suite checks signatures with an independent verifier
#   gdb               only with the `gdb` argument
# and through rustup: the x86_64-unknown-none target (the kernel), rustfmt and
# clippy (make lint).
set -euo pipefail

need_apt=()
need() { # PACKAGE: queue it for apt-get
    need_apt+=("$1")
}
command -v qemu-system-x86_64 >/dev/null || need qemu-system-x86
[ -f /usr/share/qemu/qboot.rom ] || need qemu-system-data
command -v gcc >/dev/null || need gcc
command -v ld >/dev/null && command -v objdump >/dev/null || need binutils
command -v python3 >/dev/null || need python3
python3 -c 'import ensurepip, venv' 2>/dev/null || need python3-venv
ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1 \
    || need libclang-dev
command -v pkg-config >/dev/null || need pkg-config
{ command -v pkg-config >/dev/null && pkg-config --exists openssl; } || need libssl-dev
{ command -v valgrind >/dev/null && [ -f /usr/include/valgrind/memcheck.h ]; } || need valgrind
command -v clang-14 >/dev/null || need clang-14
ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
    || need libclang-rt-14-dev
command -v tpm2_startup >/dev/null || need tpm2-tools
ls /usr/lib/x86_64-linux-gnu/libtss2-tcti-mssim.so.0 >/dev/null 2>&1 || need libtss2-tcti-mssim0
ls /usr/lib/x86_64-linux-gnu/libtss2-tcti-swtpm.so.0 >/dev/null 2>&1 || need libtss2-tcti-swtpm0
command -v swtpm >/dev/null || need swtpm
command -v swtpm_ioctl >/dev/null || need swtpm-tools
python3 -c 'import yaml' 2>/dev/null || need python3-yaml
command -v openssl >/dev/null || need openssl
if [ "${1:-}" = gdb ]; then
    command -v gdb >/dev/null || need gdb
fi

if [ ${#need_apt[@]} -gt 0 ]; then
    echo "install-deps: apt-get install ${need_apt[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx x86_64-unknown-none; then
    echo "install-deps: rustup target add x86_64-unknown-none"
    rustup target add x86_64-unknown-none
fi
for component in rustfmt clippy; do
    rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done
