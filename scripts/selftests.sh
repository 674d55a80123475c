#!/bin/bash
# Build the selftests for one arch, statically, against the UAPI headers of
# a kernel build, and print the directory that holds them.  The kernel is
# the cached patched one of ARCH, or the user's own: KDIR (its build
# directory, with `make headers` done) and KSRC (its source, default: KDIR
# or the tree an O= build points to), in which case ARCH comes from KDIR's
# .config and nothing is built into or read from the cache.
#
# usage: selftests.sh ARCH          (ARCH ignored with KDIR)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

mba_kernel "${1-}"
if [ -n "${KDIR:-}" ]; then
	src=${KSRC:-$(mba_kdir_src "$kdir")}
	[ -f "$kdir/usr/include/linux/membarrier.h" ] ||
		mba_die "$kdir/usr/include has no UAPI headers: run 'make headers' there"
else
	src=$("$MBA_ROOT/scripts/kernel-src.sh")
fi
[ -f "$src/tools/testing/selftests/lib.mk" ] ||
	mba_die "$src is not a kernel source tree (set KSRC)"

cross=
case "$arch" in
arm64) [ "$(uname -m)" = aarch64 ] || cross=aarch64-linux-gnu- ;;
ppc64le) [ "$(uname -m)" = ppc64le ] || cross=powerpc64le-linux-gnu- ;;
esac

# The test kthreads module is built below, into out/, not by lib.mk.
tests="$out/selftests"
mkdir -p "$tests"
make -C "$MBA_ROOT/selftests" KSRC="$src" OUTPUT="$tests" \
	KHDR_INCLUDES="-isystem $kdir/usr/include" CROSS_COMPILE="$cross" \
	USERCFLAGS=-Werror TEST_GEN_MODS_DIR= >&2

# The test-only kthread module goes beside the tests.  A kselftest build
# of the target (lib.mk's TEST_GEN_MODS_DIR) builds it in place, and kbuild
# refuses an out-of-tree build (MO=) of a source tree that holds one.
mo="$out/kthreads"
mkdir -p "$mo"
if [ -f "$MBA_ROOT/selftests/kthreads/modules.order" ]; then
	echo "selftests: removing the in-place build of selftests/kthreads (a kselftest build's)" >&2
	make -C "$kdir" M="$MBA_ROOT/selftests/kthreads" \
		ARCH="$(mba_karch "$arch")" LLVM=1 clean >&2
fi
make -C "$kdir" M="$MBA_ROOT/selftests/kthreads" MO="$mo" \
	ARCH="$(mba_karch "$arch")" LLVM=1 modules >&2
cp "$mo/membarrier_alt_kthreads.ko" "$tests/"
echo "$tests"
