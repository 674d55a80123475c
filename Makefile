# SPDX-License-Identifier: GPL-2.0
#
# membarrier-alt: the user's entry point.  `make help` lists the targets.
#
# Kernel builds live outside the repo, in $(MBA_CACHE) (default
# ~/.cache/membarrier-alt), keyed by kernel version, patch series, config
# and toolchain.  Module and selftest objects go to out/<arch>/.

SHELL := /bin/bash
ARCHES ?= x86_64 arm64 ppc64le
ARCH_ONE := $(firstword $(ARCHES))

# Kbuild reads ./Kbuild, never this file, for `make -C $KDIR M=$PWD`.

# PROPOSED=1: every target works on kernels with the proposed fixes to
# in-tree membarrier (patches/proposed/) applied after the series.
ifeq ($(PROPOSED),1)
export MBA_SERIES := proposed
endif

.DEFAULT_GOAL := help

help: ## List the targets
	@awk -F':.*## ' '/^[a-z-]+:.*## / { printf "  %-14s %s\n", $$1, $$2 }' \
		$(MAKEFILE_LIST)
	@echo
	@echo "Variables: ARCHES='$(ARCHES)', RUN='<cmd>' for 'make vm' (first arch),"
	@echo "           ARCH=<arch> ROUNDS=$(ROUNDS) CALLS=$(CALLS) ITERATIONS=$(ITERATIONS)"
	@echo "           for 'make ab' (ARCH=, CALLS= also for 'make profile'),"
	@echo "           BASELINE=1 (also boot unpatched 7.3) for 'make ab',"
	@echo "           CPUS='$(CPUS)' SCALE_CALLS=$(SCALE_CALLS) for 'make scale',"
	@echo "           PROPOSED=1 (kernels with patches/proposed/ too) for any target,"
	@echo "           MBA_CONFIG=check for 'make ab' on the lockdep kernels of 'make check',"
	@echo "           CLIPPY=1 for 'make module', MBA_CACHE=<dir> for builds,"
	@echo "           KDIR=<your kernel build> [KSRC=<its source>] for 'make module',"
	@echo "           'make selftests' and 'make rust-analyzer' (no deps, no cache),"
	@echo "           A=results/<run> B=results/<run> for 'make compare',"
	@echo "           MBA_GUEST_APPEND='<kernel params>' for every guest (experiments;"
	@echo "           the check guests' default is rcutree.rcu_normal_wake_from_gp=0)."

deps: ## Install the toolchain (apt, rust-src, bindgen, QEMU, virtme-ng)
	scripts/deps.sh

kernel: deps ## Build the patched kernel(s) for $(ARCHES) into the cache
	@for a in $(ARCHES); do scripts/kernel.sh $$a || exit 1; done

# KDIR=<your kernel build> (and KSRC=<its source> when it is not KDIR or
# KDIR/source): build against your own kernel, once, for its arch, without
# `make deps` and without the cache.
ifneq ($(KDIR),)
export KDIR KSRC
BUILD_ARCHES := own
BUILD_DEPS :=
else
BUILD_ARCHES := $(ARCHES)
BUILD_DEPS := deps
endif

module: $(BUILD_DEPS) ## Build the Rust module for $(ARCHES), or against KDIR=
	@for a in $(BUILD_ARCHES); do scripts/module.sh $$a || exit 1; done

selftests: $(BUILD_DEPS) ## Build the kselftests for $(ARCHES), or against KDIR= KSRC=
	@for a in $(BUILD_ARCHES); do scripts/selftests.sh $$a || exit 1; done

check: deps ## Run the kselftests in guests for $(ARCHES); prints N passed, N failed
	scripts/check.sh $(ARCHES)

# `make ab ARCH=arm64`: ARCH names the guest here, as in ARCHES.  The
# scripts pass the kernel's own ARCH to kbuild explicitly.
AB_ARCH := $(or $(ARCH),x86_64)
ROUNDS ?= 3
CALLS ?= 2000
ITERATIONS ?= 3000
BASELINE ?= 0

ab: deps ## A/B against in-tree membarrier in one guest (ARCH=, default x86_64) -> results/
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u ARCH MBA_AB_BASELINE=$(BASELINE) \
		scripts/ab.sh $(AB_ARCH) $(ROUNDS) $(CALLS) $(ITERATIONS)

profile: deps ## Kernel instructions per call, function by function (ARCH=, CALLS=) -> results/
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u ARCH scripts/profile.sh $(AB_ARCH) $(CALLS)

# `make scale CPUS="4 16 64"`: one -icount boot per CPU count.
CPUS ?= 4 16 64
SCALE_CALLS ?= 200

scale: deps ## Instructions per call against online CPUs, with per-CPU fits (ARCH=, CPUS=) -> results/
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u ARCH scripts/scale.sh $(AB_ARCH) $(SCALE_CALLS) $(CPUS)

# RUN reaches the guest unexpanded by make, so RUN='echo $(uname -r)' works.
export MBA_RUN := $(value RUN)

vm: deps ## Guest with the module loaded; RUN='<cmd>' runs one command in it
	scripts/guest.sh $(ARCH_ONE) "$$MBA_RUN"

rust-analyzer: $(BUILD_DEPS) ## rust-project.json for the module (first arch, or KDIR=)
	@scripts/rust-analyzer.sh $(ARCH_ONE)

compare: ## Figures and verdicts of two make ab runs side by side: A=results/x B=results/y
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make compare A=results/x B=results/y" >&2; exit 2; }
	python3 scripts/compare.py "$(A)" "$(B)"

lint: deps ## rustfmt, clippy, checkpatch, shellcheck, Python lint and unit tests
	scripts/lint.sh $(ARCH_ONE)

clean: ## Remove out/ (module and selftest objects); the cache stays
	rm -rf out
	rm -f rust/.*.cmd rust/*.o rust/*.ko rust/*.mod* .*.cmd Module.symvers \
		modules.order rust-project.json

.PHONY: help deps kernel module selftests check ab profile scale vm rust-analyzer \
	compare lint clean
