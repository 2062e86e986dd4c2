# SVSM: a Rust SVSM kernel whose cryptography is one certifiable C object.
#
#   make run     build the crypto object and the kernel, boot it under QEMU
#   make test    everything CI checks: lint, host tests, ACVP, boot tests
#
# Both install what they need first (scripts/install-deps.sh). Other targets:
#   make crypto [BREAK=<id>]   only the object + manifest (ids: manifest
#                              break_ids, conditional_break_ids)
#   make run    [BREAK=<id>] [CMDLINE="log=debug"] [ACCEL=kvm]
#   make cert    security-policy draft and ACVP summary for a lab, in
#                target/certification/ (generated, not committed)
#   make acvp    ACVP vector sets through the object (generated, Wycheproof,
#                and the NIST samples when ACVP_VECTORS is there); guarded
#                by certification/acvp/baseline.json
#   make acvp-baseline  rewrite that baseline from a run (commit deliberately)
#   make bench   benchmarks (not part of make test)
#   make fuzz    every fuzz target for FUZZ_SECONDS each (default 300); make
#                test runs each for FUZZ_SHORT_RUNS inputs (fuzz-short)
#   make gdb     boot stopped, gdbstub on 127.0.0.1:1234 (see README)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
BREAK ?=
CMDLINE ?=
KERNEL_TARGET := x86_64-unknown-none
# The healthy kernel; a BREAK variant lives in target/break/<id>/svsm-kernel
# and never replaces it (scripts/build-kernel.sh).
KERNEL_ELF := target/$(KERNEL_TARGET)/release/svsm-kernel
# NIST ACVP sample vector sets (the project's shared folder sits beside the
# repo in CI). Optional: when absent, make acvp says "not found" and still runs
# the generated and Wycheproof sets.
ACVP_VECTORS ?= ../shared/vectors/acvp
CRYPTO_DIR := target/svsm-crypto$(if $(BREAK),/break/$(BREAK))
# The ACVP vector check (make acvp; make cert adds --write-summary DIR).
ACVP_CHECK = $(CARGO) run --release -q -p svsm-acvp -- check $(ACVP_VECTORS)
# The security-policy generator, on the real (not BREAK) build's manifest.
POLICY = python3 certification/policy/generate.py target/svsm-crypto/manifest.json
export SVSM_CRYPTO_BREAK := $(BREAK)

.PHONY: all deps crypto kernel run gdb test lint host-tests boot-tests acvp acvp-baseline cert cert-check bench fuzz fuzz-short clean

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
	@echo "kernel: $$(scripts/build-kernel.sh $(BREAK))"

run: deps
	@kernel=$$(scripts/build-kernel.sh $(BREAK)); scripts/qemu-run.sh "$$kernel" $(CMDLINE)

gdb: deps
	@scripts/install-deps.sh gdb
	@kernel=$$(scripts/build-kernel.sh $(BREAK)); echo "gdb $$kernel -ex 'target remote 127.0.0.1:1234'"; \
	  GDB=1 scripts/qemu-run.sh "$$kernel" $(CMDLINE)

test: lint host-tests acvp cert-check fuzz-short boot-tests
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
	$(ACVP_CHECK)

# Deliberate update of the guarded counts after a change that answers more (or,
# knowingly, fewer) tests; run it with the shared sets present so they stay in.
acvp-baseline: deps
	$(ACVP_CHECK) --write-baseline

# The lab's material, produced from this build in target/certification/:
# security-policy.md, acvp/summary.json and acvp/summary.md (not committed:
# they quote the object hash and the ACVP run, see certification/README.md).
# Every step writes into a temporary directory beside it, which replaces the
# previous outputs only when all succeeded; a failure leaves them untouched.
cert: crypto
	@mkdir -p target
	@tmp=$$(mktemp -d target/certification.tmp.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; chmod 755 "$$tmp"; \
	  $(ACVP_CHECK) --write-summary "$$tmp/acvp"; \
	  $(POLICY) --acvp "$$tmp/acvp/summary.json" -o "$$tmp/security-policy.md"; \
	  $(POLICY) --acvp "$$tmp/acvp/summary.json" -o "$$tmp/security-policy.md" --check; \
	  rm -rf target/certification.old; \
	  if [ -e target/certification ]; then mv target/certification target/certification.old; fi; \
	  mv "$$tmp" target/certification; rm -rf target/certification.old
	@echo "cert: target/certification/security-policy.md, target/certification/acvp/summary.{json,md}"

# The generator's unit tests, then the policy generated from this build (no
# ACVP run) passes its own checks (object hash at the top, the twelve
# sections, up to date); written under target/, never committed.
cert-check: crypto
	python3 -m unittest discover -s certification/policy/tests
	@mkdir -p target/cert-check
	$(POLICY) -o target/cert-check/security-policy.md
	$(POLICY) -o target/cert-check/security-policy.md --check

# Host throughput (module vs OpenSSL vs RustCrypto, interleaved) and QEMU boot
# figures; JSON in target/bench/, the latest table in docs/performance.md.
bench: deps
	scripts/build-kernel.sh >/dev/null
	$(CARGO) run --release -q -p svsm-bench -- --kernel $(KERNEL_ELF)

# Coverage-guided fuzzing (scripts/fuzz.sh, tools/fuzz/README.md): each
# target for FUZZ_SECONDS; the short runs in make test take a fixed number of
# inputs per target instead. Findings land in target/fuzz/artifacts/.
FUZZ_SECONDS ?= 300
FUZZ_SHORT_RUNS ?= 5000
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

fuzz-short: deps
	FUZZ_RUNS=$(FUZZ_SHORT_RUNS) scripts/fuzz.sh

clean:
	$(CARGO) clean
