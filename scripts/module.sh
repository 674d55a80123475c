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

if [ -n "${KDIR:-}" ]; then
	kdir=$(mba_own_kdir "$KDIR")
	arch=$(mba_kdir_arch "$kdir")
	mo="$MBA_ROOT/out/kdir-$arch/module"
	lib_src=${RUST_LIB_SRC:+RUST_LIB_SRC=$RUST_LIB_SRC}
else
	arch=${1:?usage: module.sh ARCH}
	kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
	mo="$(mba_out "$arch")/module"
	lib_src=RUST_LIB_SRC=$(mba_rust_lib_src)
fi
mkdir -p "$mo"

# shellcheck disable=SC2086 # lib_src: one word, or none
make -C "$kdir" M="$MBA_ROOT" MO="$mo" ARCH="$(mba_karch "$arch")" LLVM=1 \
	$lib_src ${CLIPPY:+CLIPPY=1} modules >&2
echo "$mo/rust/membarrier_alt.ko"
