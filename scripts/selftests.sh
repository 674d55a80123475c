#!/bin/bash
# Build the selftests for one arch, statically, against the UAPI headers of
# the patched kernel, and print the directory that holds them.
#
# usage: selftests.sh ARCH
set -euo pipefail
. "$(dirname "$0")/env.sh"

arch=${1:?usage: selftests.sh ARCH}
kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
src=$("$MBA_ROOT/scripts/kernel-src.sh")
out="$(mba_out "$arch")/selftests"

case "$arch" in
x86_64) cc=gcc ;;
arm64) cc=aarch64-linux-gnu-gcc ;;
ppc64le) cc=powerpc64le-linux-gnu-gcc ;;
esac

make -C "$MBA_ROOT/selftests" KSRC="$src" KHDR="$kdir/usr/include" \
	OUT="$out" CC="$cc" >&2

# The test-only kthread module goes beside the tests.
mo="$(mba_out "$arch")/kthreads"
mkdir -p "$mo"
make -C "$kdir" M="$MBA_ROOT/selftests/kthreads" MO="$mo" \
	ARCH="$(mba_karch "$arch")" LLVM=1 modules >&2
cp "$mo/membarrier_alt_kthreads.ko" "$out/"
echo "$out"
