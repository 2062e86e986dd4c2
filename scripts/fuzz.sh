#!/usr/bin/env bash
# Builds the fuzz targets and runs each one, coverage-guided (libFuzzer).
#
# Usage: scripts/fuzz.sh [TARGET...]          (default: every target)
#   FUZZ_SECONDS=N  run each target for N seconds (make fuzz; default 300)
#   FUZZ_RUNS=N     run each target for N inputs instead (make test's short
#                   runs: a fixed number, so the time is bounded)
#
# Targets (tools/fuzz/README.md):
#   module-api  the crypto module's C API: its sources compiled again by
#               Debian's clang as a fuzzing variant (-fsanitize=fuzzer,
#               address,undefined), answers compared with OpenSSL
#   protocol    the SVSM protocol dispatcher (Rust, stable: sancov + libFuzzer)
#   acvp-json   the ACVP JSON reader (Rust, stable: sancov + libFuzzer)
#   boot-params the PVH/IGVM start-info parser and the command-line options
#               (Rust, stable: sancov + libFuzzer)
#   snp         the SEV-SNP decoders of hypervisor/PSP bytes (Rust, as above)
#   tpm         the vTPM command parser and engine (Rust, as above)
#   igvm        the IGVM file reader of svsm-igvm measure (Rust, as above;
#               inputs up to 16 KiB, a file with a VMSA needs more than 4)
#
# Seeds come from tools/fuzz/corpus/<target>/ (read only); what the fuzzer
# adds goes to target/fuzz/corpus/<target>/, a crashing input to
# target/fuzz/artifacts/<target>/ (copy it to tools/fuzz/regressions/<target>/
# with the fix: the ordinary tests replay it). Each run's log and a one-line
# summary (executions, coverage, crashes) are in target/fuzz/<target>.log and
# target/fuzz/summary.txt. Exits non-zero if any target crashed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=target/fuzz
mkdir -p "$out"
all_targets=(module-api protocol acvp-json snp boot-params tpm igvm)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

clang=$(command -v clang-14 || command -v clang)
runtime_dir=$("$clang" -print-runtime-dir)
libfuzzer="$runtime_dir/libclang_rt.fuzzer-x86_64.a"
[ -f "$libfuzzer" ] || { echo "fuzz: no libFuzzer runtime at $libfuzzer"; exit 1; }

# The Rust targets: stable rustc's SanitizerCoverage pass with libFuzzer's
# hooks (inline 8-bit counters, PC table, comparison tracing), debug
# assertions and overflow checks on. Only the target's crates are
# instrumented (--target keeps build scripts out). AddressSanitizer needs a
# nightly rustc; safe Rust does not need it for memory safety.
build_rust() {
    local rustflags=(
        -C passes=sancov-module
        -C llvm-args=-sanitizer-coverage-level=4
        -C llvm-args=-sanitizer-coverage-inline-8bit-counters
        -C llvm-args=-sanitizer-coverage-pc-table
        -C llvm-args=-sanitizer-coverage-trace-compares
        -C debug-assertions
        -C overflow-checks
        -C codegen-units=16
    )
    RUSTFLAGS="${rustflags[*]}" FUZZ_LIBFUZZER="$libfuzzer" \
        cargo build --release -q -p svsm-fuzz --features libfuzzer \
        --target x86_64-unknown-linux-gnu --target-dir "$out/rust"
}

# The C target: the module's sources as a fuzzing variant (never the
# certified object), then the harness and OpenSSL around it.
build_c() {
    # (stdout: the cc crate's build-script lines and the archive's path)
    CC="$clang" cargo run --release -q -p svsm-crypto-builder --bin svsm-crypto-fuzz-variant \
        -- "$out/module-api" >/dev/null
    # OpenSSL's EC_KEY/ECDSA_SIG calls are deprecated in 3.0, not gone.
    "$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Wall -Wextra -Werror -Wno-deprecated-declarations -I crypto-c/include \
        tools/fuzz/c/module_api.c "$out/module-api/libsvsm_crypto_fuzz.a" \
        $(pkg-config --cflags --libs libcrypto) -o "$out/module-api/fuzz-module-api"
}

binary() {
    case $1 in
        module-api) echo "$out/module-api/fuzz-module-api" ;;
        protocol | acvp-json | snp | boot-params | tpm | igvm) echo "$out/rust/x86_64-unknown-linux-gnu/release/fuzz-$1" ;;
        *) echo "fuzz: unknown target $1 (${all_targets[*]})" >&2; return 1 ;;
    esac
}

rust_built=0
for t in "${targets[@]}"; do
    binary "$t" >/dev/null
    case $t in
        module-api) build_c ;;
        *) [ $rust_built = 1 ] || { build_rust; rust_built=1; } ;;
    esac
done

if [ -n "${FUZZ_RUNS:-}" ]; then
    limit=(-runs="$FUZZ_RUNS")
    what="$FUZZ_RUNS runs"
else
    limit=(-max_total_time="${FUZZ_SECONDS:-300}")
    what="${FUZZ_SECONDS:-300} s"
fi
summary="$out/summary.txt"
: >"$summary"
crashed=0
for t in "${targets[@]}"; do
    corpus="$out/corpus/$t"
    # A short run starts from the seeds alone, so its time does not grow
    # with what long runs found.
    [ -z "${FUZZ_RUNS:-}" ] || { corpus="$out/short-corpus/$t"; rm -rf "$corpus"; }
    artifacts="$out/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    log="$out/$t.log"
    # Every earlier finding is replayed first by every run (for the Rust
    # targets `cargo test -p svsm-fuzz` replays them too).
    regressions=""
    [ ! -d "tools/fuzz/regressions/$t" ] || regressions="tools/fuzz/regressions/$t"
    max_len=4096
    [ "$t" != igvm ] || max_len=16384
    echo "fuzz: $t ($what)"
    status=0
    # -rss_limit_mb / -timeout: a slow or memory-hungry input is a finding.
    "$(binary "$t")" "${limit[@]}" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -max_len=$max_len -artifact_prefix="$artifacts/" "$corpus" "tools/fuzz/corpus/$t" $regressions \
        >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    # libFuzzer's cov: edges reached, of the instrumented ones (counters).
    edges=$(sed -n 's/.*Loaded 1 modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' "$log" | head -1)
    [ -z "$cov" ] || cov="$cov (of ${edges:-?} instrumented edges)"
    crashes=$(find "$artifacts" -type f | wc -l)
    line="$t: ${execs:-?} executions, ${cov:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) files, crashes: $crashes"
    echo "  $line"
    echo "$line" >>"$summary"
    if [ $status -ne 0 ] || [ "$crashes" -ne 0 ]; then
        crashed=1
        echo "  FAILED (exit $status); log $log:"
        tail -40 "$log"
    fi
done
exit $crashed
