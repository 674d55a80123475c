#!/bin/bash
# Boot the patched kernel of a foreign ARCH (arm64, ppc64le) with plain
# qemu, under TCG or, on a host of that arch, KVM (scripts/accel.sh), and the initramfs of scripts/initramfs.sh, with the module
# loaded (none on the baseline kernel, MBA_SERIES=none).  With CMD, run it
# in the guest, print its output and exit with its status (125 when the
# guest never reported one); without, open a shell.
#
# With MBA_ICOUNT=1 the guest runs under -icount (MBA_ICOUNT_OPTS, env.sh):
# its clock counts instructions, not host time.
#
# usage: guest-qemu.sh ARCH [CMD]
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: guest-qemu.sh ARCH [CMD]}
cmd=${2-}
kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
initrd=$("$MBA_ROOT/scripts/initramfs.sh" "$arch" "$cmd")
accel=$("$MBA_ROOT/scripts/accel.sh" "$arch")

case "$arch" in
arm64)
	# GICv2 addresses at most 8 CPUs.
	machine=virt
	[ "$MBA_GUEST_VCPUS" -le 8 ] || machine=virt,gic-version=3
	cpu=max,pauth-impdef=on
	[ "$accel" = tcg ] || cpu=host
	qemu=(qemu-system-aarch64 -M "$machine" -cpu "$cpu"
	      -kernel "$kdir/arch/arm64/boot/Image")
	console=ttyAMA0
	;;
ppc64le)
	cpu=power9
	[ "$accel" = tcg ] || cpu=host
	qemu=(qemu-system-ppc64 -M pseries -cpu "$cpu"
	      -kernel "$kdir/vmlinux")
	console=hvc0
	;;
*)
	mba_die "guest-qemu.sh: $arch is not a foreign arch"
	;;
esac

qemu+=(-accel "$accel" -smp "$MBA_GUEST_VCPUS" -m "${MBA_GUEST_MEM:-1G}"
       -nographic -no-reboot -initrd "$initrd"
       -append "console=$console loglevel=1 panic=-1 maxcpus=$MBA_GUEST_CPUS${MBA_GUEST_APPEND:+ $MBA_GUEST_APPEND}")
if [ "${MBA_ICOUNT:-0}" = 1 ]; then
	# shellcheck disable=SC2206 # options, split on purpose
	qemu+=($MBA_ICOUNT_OPTS)
fi

if [ -z "$cmd" ]; then
	exec "${qemu[@]}"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"${qemu[@]}" </dev/null | tr -d '\r' | tee "$log"
rc=$(sed -n 's/^guest-init: exit status \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
exit "${rc:-125}"
