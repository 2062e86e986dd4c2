# SVSM: a Rust SVSM kernel whose cryptography is one certifiable C object.
#
#   make run     build the crypto object and the kernel, boot it under QEMU
#   make test    everything CI checks: lint, host tests, ACVP, constant time,
#                policy, IGVM cross-checks, short fuzz runs, boot tests
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
#   make ct      constant-time check: every secret-key service under valgrind
#                memcheck with secrets undefined, and its leaky control
#   make bench   benchmarks (not part of make test)
#   make vtpm-tests  the tpm2-tools scenario suite against swtpm (the
#                reference), svsm-vtpm-sim and svsm-vtpm-sim --gate (the
#                engine over the crypto gate), compared (part of make test)
#   make stack-usage  peak stack per service of the crypto object
#   make fuzz    every fuzz target for FUZZ_SECONDS each (default 300); make
#                test runs each for FUZZ_SHORT_RUNS inputs (fuzz-short)
#   make gdb     boot stopped, gdbstub on 127.0.0.1:1234 (see README)
#   make snp-sim the SEV-SNP platform against the simulated hypervisor and PSP
#   make igvm [IGVM_VCPUS=N] [IGVM_POLICY=0x30000]
#                target/svsm.igvm (IGVM: NATIVE + SEV-SNP) from the kernel ELF,
#                and target/svsm.igvm.json (file hash, SNP launch digest for
#                that many vCPUs, measured pages); see docs/launch.md
#   make igvm-check  the digest against PyPI sev-snp-measure (venv under
#                target/), the image's kernel pages against the ELF, and two
#                builds of the image compared (part of make test)

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
# The IGVM image, its report, and the tool that builds and measures it.
IGVM := target/svsm.igvm
IGVM_VCPUS ?= 1
IGVM_POLICY ?= 0x30000
SVSM_IGVM = $(CARGO) run --release -q -p svsm-igvm --
# PyPI sev-snp-measure, the independent digest implementation make test
# compares with, in its own virtual environment.
IGVM_VENV := target/igvm-venv
SEV_SNP_MEASURE := sev-snp-measure==0.0.13

.PHONY: all deps crypto kernel run gdb igvm igvm-check test lint host-tests boot-tests acvp acvp-baseline ct cert cert-check bench stack-usage fuzz fuzz-short clean vtpm-sim vtpm-tests snp-sim

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

igvm: deps
	@kernel=$$(scripts/build-kernel.sh); \
	  $(SVSM_IGVM) build --kernel "$$kernel" --out $(IGVM) --json $(IGVM).json \
	    --vcpus $(IGVM_VCPUS) --policy $(IGVM_POLICY)
	@echo "report:         $(IGVM).json"

$(IGVM_VENV)/.installed: | deps
	python3 -m venv $(IGVM_VENV)
	$(IGVM_VENV)/bin/pip install -q $(SEV_SNP_MEASURE)
	@touch $@

igvm-check: igvm $(IGVM_VENV)/.installed
	@mkdir -p target/igvm-check
	$(SVSM_IGVM) measure $(IGVM) --json target/igvm-check/report.json --pages target/igvm-check/pages.bin
	$(IGVM_VENV)/bin/python tools/igvm/sev_snp_measure_check.py target/igvm-check/report.json target/igvm-check/pages.bin
	$(SVSM_IGVM) measure $(IGVM) --vcpus 4 --json target/igvm-check/report4.json --pages target/igvm-check/pages4.bin
	$(IGVM_VENV)/bin/python tools/igvm/sev_snp_measure_check.py target/igvm-check/report4.json target/igvm-check/pages4.bin
	@kernel=$$(scripts/build-kernel.sh); \
	  $(SVSM_IGVM) check-kernel $(IGVM) --kernel "$$kernel"; \
	  $(SVSM_IGVM) build --kernel "$$kernel" --out target/igvm-check/again.igvm --json target/igvm-check/again.json \
	    --vcpus $(IGVM_VCPUS) --policy $(IGVM_POLICY) >/dev/null; \
	  cmp $(IGVM) target/igvm-check/again.igvm; \
	  python3 -c 'import json,sys; a,b=(json.load(open(p))["sev_snp"]["launch_digest"] for p in sys.argv[1:]); sys.exit(a!=b)' $(IGVM).json target/igvm-check/again.json
	@echo "igvm-check: sev-snp-measure agrees (1 and 4 vCPUs); the kernel pages are the ELF's; a second build is byte-identical"

test: lint host-tests acvp ct cert-check igvm-check fuzz-short boot-tests vtpm-tests
	@echo "make test: all suites passed"

lint: deps
	@if git grep -qlI 'wolfSSL[ ]Inc' 2>/dev/null; then \
	  echo "upstream source must not be committed:"; git grep -lI 'wolfSSL[ ]Inc'; exit 1; fi
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --exclude svsm-kernel --all-targets -- -D warnings
	$(CARGO) clippy -p svsm-kernel --target $(KERNEL_TARGET) -- -D warnings
	$(CARGO) fmt --manifest-path kernel/harness/Cargo.toml --check
	$(CARGO) clippy --manifest-path kernel/harness/Cargo.toml --target $(KERNEL_TARGET) -- -D warnings
	$(CARGO) fmt --manifest-path kernel/vtpm-service/Cargo.toml --check
	$(CARGO) clippy --manifest-path kernel/vtpm-service/Cargo.toml --target $(KERNEL_TARGET) -- -D warnings
	CARGO=$(CARGO) scripts/vtpm-crypto-deps.sh svsm-vtpm
	$(CARGO) clippy -p svsm-vtpm --target $(KERNEL_TARGET) --no-default-features -- -D warnings

host-tests: deps
	$(CARGO) test --workspace --exclude svsm-kernel

boot-tests: deps
	scripts/boot-tests.sh

acvp: deps
	$(ACVP_CHECK)

# The constant-time check (tools/ct): the harness linked with the real object
# runs every secret-key service under valgrind memcheck with the secrets
# undefined, at xcr0 0 and with AVX; check.py fails on any secret-dependent
# branch or index in the module that tools/ct/allowlist.txt (public by design)
# or tools/ct/open-findings.txt (known, to fix) does not name. Then the
# control: the same harness over the ct-leak variant must be caught.
CT_CC = cc -O1 -g -no-pie -Wall -Wextra -Werror -Icrypto-c/include -Wl,--no-warn-rwx-segments
ct: deps
	python3 -m unittest discover -s tools/ct -p 'test_*.py'
	SVSM_CRYPTO_BREAK= $(CARGO) build -q -p svsm-crypto-object
	SVSM_CRYPTO_BREAK=ct-leak $(CARGO) build -q -p svsm-crypto-object
	@mkdir -p target/ct
	$(CT_CC) -o target/ct/ct tools/ct/ct.c target/svsm-crypto/svsm-crypto.o
	$(CT_CC) -o target/ct/ct-leak tools/ct/ct.c target/svsm-crypto/break/ct-leak/svsm-crypto.o
	python3 tools/ct/check.py target/ct/ct > target/ct/real.log || { cat target/ct/real.log; exit 1; }
	@tail -1 target/ct/real.log
	python3 tools/ct/check.py target/ct/ct-leak --expect-leak ct_leak_control > target/ct/control.log \
	  || { cat target/ct/control.log; exit 1; }
	@tail -1 target/ct/control.log
	@echo "make ct: passed; full reports in target/ct/real.log and target/ct/control.log"

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

# Host throughput (module vs OpenSSL, RustCrypto, AWS-LC, ring; interleaved),
# the host's power-on self-test times, and QEMU boot
# figures; JSON in target/bench/, the latest table in docs/performance.md.
bench: deps vtpm-sim
	scripts/build-kernel.sh >/dev/null
	$(CARGO) run --release -q -p svsm-bench -- --kernel $(KERNEL_ELF)
	python3 vtpm/sim/suite/bench.py --sim $(VTPM_SIM) --json target/bench/vtpm.json

# The vTPM engine on the host behind the Microsoft simulator protocol
# (vtpm/sim), and the tpm2-tools scenario suite (vtpm/sim/suite): every
# scenario against swtpm, then against svsm-vtpm-sim, then against
# svsm-vtpm-sim --gate (every crypto call through the crypto gate, as in the
# kernel), then the outputs the TPM 2.0 specification fixes compared; the last line counts passes and
# failures, every result is in target/vtpm/scenarios.json.
VTPM_SIM := target/release/svsm-vtpm-sim
vtpm-sim: deps
	$(CARGO) build --release -q -p svsm-vtpm-sim

vtpm-tests: vtpm-sim
	python3 vtpm/sim/suite/scenarios.py --target both --sim $(VTPM_SIM) --json target/vtpm/scenarios.json

# Peak stack per exported service of the crypto object, from GCC call-graph
# info (scripts/stack-usage.py; ">=" where the path has an indirect call or
# assembly). Not part of make test.
stack-usage: crypto
	python3 scripts/stack-usage.py 2>/dev/null
# Coverage-guided fuzzing (scripts/fuzz.sh, tools/fuzz/README.md): each
# target for FUZZ_SECONDS; the short runs in make test take a fixed number of
# inputs per target instead. Findings land in target/fuzz/artifacts/.
FUZZ_SECONDS ?= 300
FUZZ_SHORT_RUNS ?= 5000
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

fuzz-short: deps
	FUZZ_RUNS=$(FUZZ_SHORT_RUNS) scripts/fuzz.sh

# The SEV-SNP platform against the simulated hypervisor, RMP and PSP
# (docs/snp.md); host-tests runs it too, as part of the workspace.
snp-sim: deps
	$(CARGO) test -p svsm-snp -p svsm-snp-sim

clean:
	$(CARGO) clean
