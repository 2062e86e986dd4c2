#!/usr/bin/env bash
# Boot the SVSM kernel under QEMU and turn the result into an exit status.
#
# Usage: scripts/qemu-run.sh KERNEL_ELF [kernel command line words...]
#   e.g. scripts/qemu-run.sh target/x86_64-unknown-none/release/svsm-kernel log=debug
#
# Environment:
#   ACCEL    tcg (default) or kvm
#   FIRMWARE qboot (default: Debian's qemu-system-data qboot.rom, which boots
#            PVH kernels silently and fast) or seabios (QEMU's default BIOS,
#            which prints its banner first; kept for comparison in make bench)
#   GDB=1    gdbstub on 127.0.0.1:1234, CPU stopped at the reset vector
#            (before the firmware; no timeout)
#   LOG      console log file (default target/qemu/console.log)
#   TIMEOUT  seconds before QEMU is killed (default 120)
#   QEMU     QEMU binary (default qemu-system-x86_64)
#   QEMU_EXTRA  more QEMU arguments, whitespace-separated (the IGVM boot
#            test passes the -device loader lines of `svsm-igvm load`)
#
# The kernel ends QEMU through isa-debug-exit (port 0xf4): writing v makes QEMU
# exit with (v << 1) | 1. Kernel outcomes (kernel/src/exit.rs) and what this
# script turns them into:
#
#   kernel outcome  value  QEMU status  this script
#   Success         0x10   33           0  (only if the console also shows a
#                                           line "SVSM ready"; else 4)
#   Degraded        0x11   35           2  (crypto self-test failed, services refused)
#   Fault           0x12   37           3  (exception, panic, fatal boot error)
#   anything else                       4  (QEMU status 0 = triple fault under
#                                           -no-reboot, 1 = QEMU error, 124 =
#                                           timeout, ...)
#   usage error                         64
set -u -o pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 KERNEL_ELF [cmdline words...]" >&2
    exit 64
fi
kernel=$1
shift
if [ ! -f "$kernel" ]; then
    echo "qemu-run: kernel '$kernel' not found" >&2
    exit 64
fi
cmdline="$*"

readonly STATUS_SUCCESS=33 STATUS_DEGRADED=35 STATUS_FAULT=37

root=$(cd "$(dirname "$0")/.." && pwd)
log=${LOG:-$root/target/qemu/console.log}
mkdir -p "$(dirname "$log")"

accel=${ACCEL:-tcg}
case "$accel" in
    tcg) cpu=max ;;
    kvm) cpu=host ;;
    *) echo "qemu-run: ACCEL must be tcg or kvm, not '$accel'" >&2; exit 64 ;;
esac

# qboot prints nothing, so the console starts with the kernel's first line;
# no NIC either, so no option ROM (iPXE) is loaded.
case "${FIRMWARE:-qboot}" in
    qboot) firmware=(-bios "${QBOOT_ROM:-/usr/share/qemu/qboot.rom}") ;;
    seabios) firmware=() ;;
    *) echo "qemu-run: FIRMWARE must be qboot or seabios, not '$FIRMWARE'" >&2; exit 64 ;;
esac

args=(
    -machine q35 -accel "$accel" -cpu "$cpu" -m 256M
    "${firmware[@]}" -nic none
    -kernel "$kernel" -append "$cmdline"
    -nographic -serial stdio -monitor none -no-reboot
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
)
# QEMU_EXTRA is split on whitespace on purpose (no quoting inside it).
# shellcheck disable=SC2206
args+=(${QEMU_EXTRA:-})
timeout_cmd=(timeout --kill-after=5 "${TIMEOUT:-120}")
if [ "${GDB:-0}" = 1 ]; then
    # Loopback only: the stub gives full control of the VM to whoever connects.
    args+=(-gdb tcp:127.0.0.1:1234 -S)
    timeout_cmd=()
    echo "qemu-run: waiting for gdb on 127.0.0.1:1234 (CPU stopped at the reset vector)" >&2
fi

# The serial console ends lines with CR LF; the log keeps plain LF lines.
"${timeout_cmd[@]}" "${QEMU:-qemu-system-x86_64}" "${args[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$log"
qemu_status=${PIPESTATUS[0]}

case $qemu_status in
    "$STATUS_SUCCESS")
        if grep -qx 'SVSM ready' "$log"; then
            status=0
        else
            echo "qemu-run: Success exit without 'SVSM ready' on the console" >&2
            status=4
        fi
        ;;
    "$STATUS_DEGRADED") status=2 ;;
    "$STATUS_FAULT") status=3 ;;
    124 | 137) echo "qemu-run: timed out" >&2; status=4 ;;
    *) status=4 ;;
esac
echo "qemu-run: QEMU status $qemu_status -> $status (console log: $log)" >&2
exit $status
