#!/bin/bash
# Boot the patched kernel of ARCH in a virtme-ng guest, under KVM or TCG as
# scripts/accel.sh decides, with the module loaded (none on the baseline
# kernel, MBA_SERIES=none).  With CMD, run it through bash in the guest,
# print its output and exit with its status; without, open an interactive
# shell.
#
# An x86_64 guest's root is the host's, so this repo is visible in it at
# the same path.  A foreign guest (arm64, ppc64le) boots the root of
# scripts/rootfs.sh, Debian's static busybox and bash of that arch, with
# this repo shared at the same path; docs/guests.md says what that root
# adds for virtme-ng.
#
# With MBA_ICOUNT=1 the guest runs under -icount (MBA_ICOUNT_OPTS, env.sh):
# its clock counts instructions, not host time.
#
# usage: guest.sh ARCH [CMD]
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: guest.sh ARCH [CMD]}
cmd=${2-}
kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
ko=-	# the unpatched kernel has no module
[ "$MBA_SERIES" = none ] || ko=$("$MBA_ROOT/scripts/module.sh" "$arch")

vng_args=(
	--run "$kdir"
	--force-9p
	--cpus "$MBA_GUEST_VCPUS"
	--memory "${MBA_GUEST_MEM:-1G}"
	--append root=/dev/root
	--append "maxcpus=$MBA_GUEST_CPUS"
)
qemu_opts=
if [ "$("$MBA_ROOT/scripts/accel.sh" "$arch")" = tcg ]; then
	vng_args+=(--disable-kvm)
fi
# The guest starts in the current directory, or at the repo's top when
# that is outside it (a foreign guest sees nothing else of the host).
cwd=$PWD
case "$arch" in
x86_64)
	vng_args+=(--cwd "$cwd")
	;;
arm64 | ppc64le)
	root=$("$MBA_ROOT/scripts/rootfs.sh" "$arch")
	# The mount point of the shared repo; the root is read-only.
	mkdir -p "$root$MBA_ROOT"
	case "$cwd/" in
	"$MBA_ROOT"/*) ;;
	*) cwd=$MBA_ROOT ;;
	esac
	vng_args+=(--arch "$(mba_debarch "$arch")" --root "$root"
		   "--rwdir=$MBA_ROOT=$MBA_ROOT")
	if [ "$arch" = arm64 ]; then
		# vng's cortex-a57 has no SVE, PAC or LSE; GICv2 addresses
		# at most 8 CPUs.
		qemu_opts="-cpu max,pauth-impdef=on"
		[ "$MBA_GUEST_VCPUS" -le 8 ] ||
			qemu_opts="$qemu_opts -M virt,gic-version=3"
	else
		qemu_opts="-cpu power9"
	fi
	;;
*)
	mba_die "guest.sh: no guest for $arch"
	;;
esac
if [ -n "$MBA_GUEST_APPEND" ]; then
	vng_args+=(--append "$MBA_GUEST_APPEND")
fi
if [ "${MBA_ICOUNT:-0}" = 1 ]; then
	qemu_opts="$qemu_opts $MBA_ICOUNT_OPTS"
fi
if [ -n "$qemu_opts" ]; then
	vng_args+=("--qemu-opts=$qemu_opts")
fi

init="cd $(printf '%q' "$cwd") && $MBA_ROOT/scripts/guest-init.sh $(printf '%q' "$ko")"
if [ -n "$cmd" ]; then
	exec vng "${vng_args[@]}" --exec "$init $(printf '%q' "$cmd")" </dev/null
fi
exec vng "${vng_args[@]}" --exec "$init"
