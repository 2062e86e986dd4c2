# SVSM: a Rust SVSM kernel whose cryptography is one certifiable C object.
#
#   make run     build the crypto object and the kernel, boot it under QEMU
#   make test    everything CI checks: lint, host tests, ACVP, boot tests
#
# Both install what they need first (scripts/install-deps.sh). Other targets:
#   make crypto [BREAK=<self-test id>]   only the object + manifest
#   make run    [BREAK=<id>] [CMDLINE="log=debug"] [ACCEL=kvm]
#   make cert    security-policy draft and ACVP summary for a lab
#   make acvp    ACVP vector sets through the object (generated, Wycheproof,
#                and the NIST samples when ACVP_VECTORS is there); guarded
#                by certification/acvp/baseline.json
#   make acvp-baseline  rewrite that baseline from a run (commit deliberately)
#   make bench   benchmarks (not part of make test)
#   make gdb     boot stopped, gdbstub on :1234 (see README)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
BREAK ?=
CMDLINE ?=
KERNEL_TARGET := x86_64-unknown-none
KERNEL_ELF := target/$(KERNEL_TARGET)/release/svsm-kernel
# NIST ACVP sample vector sets (the project's shared folder sits beside the
# repo in CI). Optional: when absent, make acvp says "not found" and still runs
# the generated and Wycheproof sets.
ACVP_VECTORS ?= ../shared/vectors/acvp
CRYPTO_DIR := target/svsm-crypto$(if $(BREAK),/break/$(BREAK))
export SVSM_CRYPTO_BREAK := $(BREAK)

.PHONY: all deps crypto kernel run gdb test lint host-tests boot-tests acvp acvp-baseline cert cert-check bench clean

all: kernel

deps:
	@scripts/install-deps.sh

crypto: deps
	$(CARGO) build -p svsm-crypto-object
	@undefined=$$(nm -u $(CRYPTO_DIR)/svsm-crypto.o); \
	  if [ -n "$$undefined" ]; then echo "undefined symbols: $$undefined"; exit 1; fi
	@echo "object:   $(CRYPTO_DIR)/svsm-crypto.o"
	@echo "sha256:   $$(sha256sum $(CRYPTO_DIR)/svsm-crypto.o | cut -d' ' -f1)"
	@echo "manifest: $(CRYPTO_DIR)/manifest.json"

kernel: deps
	$(CARGO) build --release -p svsm-kernel --target $(KERNEL_TARGET)

run: kernel
	scripts/qemu-run.sh $(KERNEL_ELF) $(CMDLINE)

gdb: kernel
	GDB=1 scripts/qemu-run.sh $(KERNEL_ELF) $(CMDLINE)

test: lint host-tests acvp cert-check boot-tests
	@echo "make test: all suites passed"

lint: deps
	@if git grep -qlI 'wolfSSL[ ]Inc' 2>/dev/null; then \
	  echo "upstream source must not be committed:"; git grep -lI 'wolfSSL[ ]Inc'; exit 1; fi
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --exclude svsm-kernel --all-targets -- -D warnings
	$(CARGO) clippy -p svsm-kernel --target $(KERNEL_TARGET) -- -D warnings
	$(CARGO) fmt --manifest-path kernel/harness/Cargo.toml --check
	$(CARGO) clippy --manifest-path kernel/harness/Cargo.toml --target $(KERNEL_TARGET) -- -D warnings

host-tests: deps
	$(CARGO) test --workspace --exclude svsm-kernel

boot-tests: deps
	scripts/boot-tests.sh

acvp: deps
	$(CARGO) run --release -q -p svsm-acvp -- check $(ACVP_VECTORS)

# Deliberate update of the guarded counts after a change that answers more (or,
# knowingly, fewer) tests; run it with the shared sets present so they stay in.
acvp-baseline: deps
	$(CARGO) run --release -q -p svsm-acvp -- check $(ACVP_VECTORS) --write-baseline

# The lab's material, refreshed from this build: ACVP summary, then the
# security-policy draft that quotes it.
cert: crypto
	$(CARGO) run --release -q -p svsm-acvp -- check $(ACVP_VECTORS) --write-summary certification/acvp
	python3 certification/policy/generate.py target/svsm-crypto/manifest.json

# The policy generates from this build and passes its own checks (object hash
# named at the top, all sections present); written under target/, not committed.
cert-check: crypto
	@mkdir -p target/cert
	python3 certification/policy/generate.py target/svsm-crypto/manifest.json -o target/cert/security-policy.md
	python3 certification/policy/generate.py target/svsm-crypto/manifest.json -o target/cert/security-policy.md --check

# Host throughput (module vs OpenSSL vs RustCrypto, interleaved) and QEMU boot
# figures; JSON in target/bench/, the latest table in docs/performance.md.
bench: kernel
	$(CARGO) run --release -q -p svsm-bench -- --kernel $(KERNEL_ELF)

clean:
	$(CARGO) clean
