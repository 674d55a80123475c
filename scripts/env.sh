# shellcheck shell=bash
# Common environment for the membarrier-alt scripts; sourced, not run.
#
# MBA_CACHE holds everything that is built or installed outside the repo:
# the kernel source, kernel builds keyed by (version, patches, config),
# bindgen and the virtme-ng venv.

MBA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MBA_CACHE=${MBA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/membarrier-alt}
# MBA_SERIES=none selects the baseline kernel (make ab BASELINE=1): 7.3
# with only the series' patches that touch nothing but rust/ (see
# kernel-src.sh), so no scheduler change.  It is built and cached beside
# the patched one, and a guest of it has no module.  MBA_SERIES=proposed
# (PROPOSED=1) adds patches/proposed/*.patch after the series: fixes to
# in-tree membarrier that the findings led to, which are not part of the
# mechanism-only series.  Its kernels, and what is built against them,
# are kept apart from the others as well (mba_out).
MBA_SERIES=${MBA_SERIES:-patches}
case "$MBA_SERIES" in
patches | none | proposed) ;;
*) echo "MBA_SERIES must be patches, none or proposed" >&2; exit 1 ;;
esac
# MBA_CONFIG names the fragment added over qemu/common.config and the
# arch's: check (qemu/check.config) for the kernels of `make check`, bench
# (qemu/bench.config, no lock debugging) for those `make ab` measures.
# The bench kernels are cached beside the others, and what is built
# against them (module, selftests) goes to out/<arch>-bench
# instead of out/<arch>.
MBA_CONFIG=${MBA_CONFIG:-check}
# Guests bring MBA_GUEST_CPUS CPUs online at boot: the targeting tests'
# layout needs 4, and 4 is what `make ab` measures.  The machine has
# MBA_GUEST_VCPUS vCPUs in all; the rest are possible but offline until a
# test onlines one.  The check kernels' guests have 66, so that
# nr_cpu_ids spans a second cpumask word (qemu/check.config).
MBA_GUEST_CPUS=${MBA_GUEST_CPUS:-4}
if [ "$MBA_CONFIG" = check ]; then
	MBA_GUEST_VCPUS=${MBA_GUEST_VCPUS:-66}
else
	MBA_GUEST_VCPUS=${MBA_GUEST_VCPUS:-$MBA_GUEST_CPUS}
fi
# MBA_GUEST_APPEND: more kernel command line for every guest, for an
# experiment.  The check guests default to rcutree.rcu_normal_wake_from_gp=0,
# the older synchronize_rcu() path: on 7.3's default one, a registration in
# the conformance test now and then waited minutes for a grace period that
# nobody requested, through a race in rcu_gp_init() with more than one
# rcu_node, as the check guests have (docs/findings/rcu-stranded-synchronize-rcu.md; patches/rcu/).
# Setting MBA_GUEST_APPEND= (empty) boots them on the default path again.
if [ "$MBA_CONFIG" = check ]; then
	MBA_GUEST_APPEND=${MBA_GUEST_APPEND-rcutree.rcu_normal_wake_from_gp=0}
else
	MBA_GUEST_APPEND=${MBA_GUEST_APPEND:-}
fi
# MBA_ICOUNT=1 boots guests with these QEMU options: one TCG thread for all
# vCPUs, and a guest clock that advances by one nanosecond per executed
# instruction (and jumps over idle time), so guest timings count
# instructions and repeat from run to run.  profile.sh adds its QEMU
# plugin to them.
MBA_ICOUNT_OPTS=${MBA_ICOUNT_OPTS:-"-icount shift=0,sleep=off"}
# clang must be built on the same LLVM major version as rustc, or the kernel
# cannot inline its C helpers into Rust code (RUSTC_CLANG_LLVM_COMPATIBLE,
# for RUST_INLINE_HELPERS): take the version from the rustc that builds.
LLVM_VER=$(rustc --version --verbose | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
LLVM_BIN=/usr/lib/llvm-$LLVM_VER/bin

# The report scripts run on Debian's Python, which sees the packages
# deps.sh installs (matplotlib, pyflakes, pycodestyle); the virtme-ng venv
# put first on PATH below, or a python3 of the user's own, may not.
export MBA_PYTHON=/usr/bin/python3

export LIBCLANG_PATH=/usr/lib/llvm-$LLVM_VER/lib
export PATH="$MBA_CACHE/bindgen/bin:$MBA_CACHE/venv/bin:$LLVM_BIN:$PATH"

# The rustc that builds the kernel decides which rust-src we need.
mba_rustc_version() {
	rustc --version | awk '{print $2}'
}

mba_rust_lib_src() {
	echo "/usr/src/rustc-$(mba_rustc_version)/library"
}

# Map our arch names to the kernel's ARCH= and virtme-ng's --arch.
mba_karch() {
	case "$1" in
	x86_64) echo x86_64 ;;
	arm64) echo arm64 ;;
	ppc64le) echo powerpc ;;
	*) echo "unknown arch: $1" >&2; return 1 ;;
	esac
}

# Debian's name of our arch (virtme-ng's --arch, dpkg's architecture).
mba_debarch() {
	case "$1" in
	x86_64) echo amd64 ;;
	arm64) echo arm64 ;;
	ppc64le) echo ppc64el ;;
	*) echo "unknown arch: $1" >&2; return 1 ;;
	esac
}

# mba_flavor ARCH: ARCH, then what sets its kernel apart from the patched
# kernel of `make check`: the series (unpatched, proposed), then the bench
# config.  It names the kernel's entry in the cache.
mba_flavor() {
	local f=$1
	case "$MBA_SERIES" in
	none) f=$f-unpatched ;;
	proposed) f=$f-proposed ;;
	esac
	[ "$MBA_CONFIG" != bench ] || f=$f-bench
	echo "$f"
}

# mba_out ARCH: where the module and selftests built for ARCH,
# MBA_CONFIG and a patched series go.  The baseline (MBA_SERIES=none)
# shares the patched kernel's directory: its guest runs the same benchmark
# program, at the same path, and has no module.
mba_out() {
	local series=$MBA_SERIES

	[ "$series" != none ] || series=patches
	echo "$MBA_ROOT/out/$(MBA_SERIES=$series mba_flavor "$1")"
}

# mba_build ARCH: build what a guest of ARCH runs for make ab or make
# scale (the kernel, through selftests.sh and module.sh; the selftests; the
# module), and set, for the caller, commit (the tree they are built from,
# taken before they are), src (the patched kernel tree) and tests (the
# selftests' directory).
mba_build() {
	# shellcheck disable=SC2034 # set for the caller
	commit=$(git -C "$MBA_ROOT" describe --always --dirty 2>/dev/null ||
		echo unknown)
	echo "=== $1: build" >&2
	# shellcheck disable=SC2034 # set for the caller
	src=$("$MBA_ROOT/scripts/kernel-src.sh")
	# shellcheck disable=SC2034 # set for the caller
	tests=$("$MBA_ROOT/scripts/selftests.sh" "$1")
	"$MBA_ROOT/scripts/module.sh" "$1" >/dev/null
}

# mba_results ARCH [WHAT]: a new directory under results/ for a run of
# WHAT (nothing for make ab, -profile for make profile) on ARCH, named
# ARCH-proposed with PROPOSED=1.
mba_results() {
	local tag=$1

	[ "$MBA_SERIES" != proposed ] || tag=$tag-proposed
	echo "$MBA_ROOT/results/$tag${2-}-$(date -u +%Y%m%dT%H%M%SZ)"
}

# mba_qemu_abort_retry TRY LOG MARK: whether to boot a guest once more
# after try TRY (1 or 2) wrote LOG: on the first try, when QEMU aborted on
# an assertion of its own before the guest printed MARK, the first line of
# the work under test.  LOG is then kept as LOG.qemu-abort.  QEMU's TCG
# sometimes aborts so (iotlb_to_section() in QEMU 10.0, once in a few
# dozen boots) while the guest kernel boots, which says nothing about the
# code under test.  Any other failure, and any abort after MARK, stands.
mba_qemu_abort_retry() {
	[ "$1" = 1 ] && ! grep -q -- "$3" "$2" &&
		grep -q '^qemu-system-[a-z0-9_]*: .*Assertion .* failed' "$2" ||
		return 1
	mv "$2" "$2.qemu-abort"
	echo "=== QEMU aborted before the guest began; booting again ($2.qemu-abort)" >&2
}

# Your own kernel (make module/selftests KDIR=...): the build directory,
# absolute, once it looks like a configured and built kernel.
mba_own_kdir() {
	local d

	d=$(cd "$1" 2>/dev/null && pwd) || mba_die "KDIR=$1: no such directory"
	[ -f "$d/.config" ] || mba_die "KDIR=$d: no .config (not a kernel build)"
	[ -f "$d/Module.symvers" ] ||
		mba_die "KDIR=$d: no Module.symvers (build the kernel first)"
	echo "$d"
}

# mba_kdir_arch KDIR: our name of the arch KDIR was configured for.
mba_kdir_arch() {
	local c=$1/.config

	if grep -qx 'CONFIG_X86_64=y' "$c"; then
		echo x86_64
	elif grep -qx 'CONFIG_ARM64=y' "$c"; then
		echo arm64
	elif grep -qx 'CONFIG_PPC64=y' "$c" &&
	     grep -qx 'CONFIG_CPU_LITTLE_ENDIAN=y' "$c"; then
		echo ppc64le
	else
		mba_die "$c: not x86_64, arm64 or ppc64le"
	fi
}

# mba_kernel [ARCH]: what module.sh, selftests.sh and rust-analyzer.sh
# build against, set in kdir, arch, out (the out/ directory for what is
# built) and lib_src (RUST_LIB_SRC, or empty): your own build when KDIR is
# set, else the cached kernel of ARCH.
# shellcheck disable=SC2034 # set for the caller
mba_kernel() {
	if [ -n "${KDIR:-}" ]; then
		kdir=$(mba_own_kdir "$KDIR")
		arch=$(mba_kdir_arch "$kdir")
		out="$MBA_ROOT/out/kdir-$arch"
		lib_src=${RUST_LIB_SRC:-$(mba_default_lib_src)}
	else
		arch=${1:?usage: $(basename "$0") ARCH}
		kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
		out=$(mba_out "$arch")
		lib_src=$(mba_rust_lib_src)
	fi
}

# mba_default_lib_src: empty when rustc's sysroot has the rust-src
# component (the kernel finds it there), else Debian's rust-src of the same
# version if installed, which is what a build by the README used.
mba_default_lib_src() {
	local sysroot
	sysroot=$(rustc --print sysroot 2>/dev/null) || return 0
	[ -d "$sysroot/lib/rustlib/src/rust/library" ] && return 0
	[ -d "$(mba_rust_lib_src)" ] && mba_rust_lib_src
	return 0
}

# mba_kdir_src KDIR: the source tree of KDIR, an O= build or an in-tree one.
mba_kdir_src() {
	if [ -L "$1/source" ]; then
		readlink -f "$1/source"
	else
		echo "$1"
	fi
}

mba_die() {
	echo "error: $*" >&2
	exit 1
}
