#!/usr/bin/env bash
# Installs what the build, the QEMU boot and the tests need, and nothing when
# it is all there already. Called by every Makefile target before it works.
set -euo pipefail

need_apt=()
command -v qemu-system-x86_64 >/dev/null || need_apt+=(qemu-system-x86)
command -v gcc >/dev/null || need_apt+=(gcc)
command -v ld >/dev/null || need_apt+=(binutils)
command -v python3 >/dev/null || need_apt+=(python3)
# bindgen (the ffi/ shim) needs libclang and clang's own headers.
ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1 \
    || need_apt+=(libclang-dev)
# The benchmarks (a workspace member, so linted and tested too) compare with
# the system's OpenSSL through the openssl crate.
{ command -v pkg-config >/dev/null && pkg-config --exists openssl; } \
    || need_apt+=(libssl-dev pkg-config)

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
