#!/bin/bash
# Build the out-of-tree Rust module against the cached kernel build of one
# arch and print the path of the .ko.  Only the module is rebuilt when only
# the module changed; the kernel build is reused as long as its key holds.
#
# usage: module.sh ARCH
set -euo pipefail
. "$(dirname "$0")/env.sh"

arch=${1:?usage: module.sh ARCH}
kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
mo="$(mba_out "$arch")/module"
mkdir -p "$mo"

make -C "$kdir" M="$MBA_ROOT" MO="$mo" ARCH="$(mba_karch "$arch")" LLVM=1 \
	RUST_LIB_SRC="$(mba_rust_lib_src)" ${CLIPPY:+CLIPPY=1} modules >&2
echo "$mo/rust/membarrier_alt.ko"
