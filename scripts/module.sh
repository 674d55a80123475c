#!/bin/bash
# Build the out-of-tree Rust module and print the path of the .ko: against
# the cached kernel build of ARCH, or against your own kernel build when
# KDIR is set (then ARCH comes from its .config, the cache is not touched,
# and rustc finds the Rust library source as your kernel build did, or
# through RUST_LIB_SRC).  Only the module is rebuilt when only the module
# changed; the cached kernel is reused as long as its key holds.
#
# usage: module.sh ARCH             (ARCH ignored with KDIR)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

mba_kernel "${1-}"
mo="$out/module"
mkdir -p "$mo"

make -C "$kdir" M="$MBA_ROOT" MO="$mo" ARCH="$(mba_karch "$arch")" LLVM=1 \
	${lib_src:+RUST_LIB_SRC="$lib_src"} ${CLIPPY:+CLIPPY=1} modules >&2
echo "$mo/rust/membarrier_alt.ko"
