#!/bin/bash
# The instruction profile of `make profile`: boot ARCH's bench kernel under
# -icount with tools/qemu-iprof.c, run `membarrier_alt_bench profile` in it
# (every command through the syscall and each variant, then the floors,
# with the other CPUs idle), and turn the counts into
# results/<arch>-profile-<time>/profile.md with scripts/profile-report.py,
# which also prints it: kernel instructions per call, function by function.
#
# usage: profile.sh ARCH [CALLS]   (calls per run, default 2000)
set -euo pipefail
export MBA_CONFIG=${MBA_CONFIG:-bench}
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: profile.sh ARCH [CALLS]}
calls=${2:-2000}

echo "=== $arch: build" >&2
src=$("$MBA_ROOT/scripts/kernel-src.sh")
kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
tests=$("$MBA_ROOT/scripts/selftests.sh" "$arch")
"$MBA_ROOT/scripts/module.sh" "$arch" >/dev/null
plugin="$MBA_ROOT/out/qemu-iprof.so"
mkdir -p "$MBA_ROOT/out"
cc -O2 -Wall -Werror -shared -fPIC -fvisibility=hidden \
	-o "$plugin" "$MBA_ROOT/tools/qemu-iprof.c"

# Each run of the guest program ends with sync(2): the entry of ksys_sync()
# starts a phase.  On ppc64le, calls from inside the kernel enter at the
# function's local entry point, past its TOC setup: mark that one.  On
# x86_64 at -O2 (the Debian-configured bench kernels) ksys_sync() is
# inlined into the system call, so the mark is the system call's entry.
mark_sym=ksys_sync
[ "$arch" != x86_64 ] || mark_sym=__x64_sys_sync
read -r addr local < <(readelf -sW "$kdir/vmlinux" | awk -v sym="$mark_sym" '$NF == sym {
	e = 0
	if (match($0, /localentry>: [0-9]+/))
		e = substr($0, RSTART + 12, RLENGTH - 12)
	print $2, e
}') || mba_die "no $mark_sym in $kdir/vmlinux"
mark=$(printf '%x' $((16#$addr + local)))

out=$(mba_results "$arch" -profile)
mkdir -p "$out"
echo "=== $arch: -icount guest with qemu-iprof; log in $out/guest.log" >&2
export MBA_ICOUNT=1
export MBA_ICOUNT_OPTS="$MBA_ICOUNT_OPTS -plugin $plugin,out=$out/counts,mark=$mark"
timeout -k 10 "${MBA_GUEST_TIMEOUT:-1500}" "$MBA_ROOT/scripts/guest.sh" "$arch" \
	"bash $MBA_ROOT/scripts/guest-profile.sh $tests $calls" \
	>"$out/guest.log" 2>&1 || mba_die "the guest failed; see $out/guest.log"
[ -s "$out/counts" ] || mba_die "qemu-iprof wrote no counts to $out/counts"

LLVM_CXXFILT="$LLVM_BIN/llvm-cxxfilt" \
	"$MBA_PYTHON" "$MBA_ROOT/scripts/profile-report.py" "$out" "arch=$arch" \
	"series=$(basename "$src" | sed 's/.*-//')" \
	"series_kind=$MBA_SERIES" \
	"config=$MBA_CONFIG"
