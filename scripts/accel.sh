#!/bin/bash
# Print the accelerator the guests of ARCH use: kvm or tcg.
#
# MBA_ACCEL=tcg|kvm forces one.  Otherwise KVM is used where it can work,
# a guest of the host's own arch with a usable /dev/kvm, and where a probe
# found that it does: the patched kernel of ARCH booted under KVM, with no
# root, must reach its "VFS:" panic within MBA_KVM_PROBE_SECONDS.  On some
# machines KVM guests hang instead; the probe's answer is cached per host
# and arch, so such a machine pays for one probe, not one per boot.  -icount
# (MBA_ICOUNT=1) is a TCG feature: those guests always get tcg.
#
# usage: accel.sh ARCH
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: accel.sh ARCH}

case "${MBA_ACCEL:-}" in
tcg)
	echo tcg
	exit 0
	;;
kvm)
	[ "${MBA_ICOUNT:-0}" != 1 ] || mba_die "MBA_ACCEL=kvm: -icount needs TCG"
	echo kvm
	exit 0
	;;
'') ;;
*) mba_die "MBA_ACCEL must be tcg or kvm" ;;
esac

host=$(uname -m)
[ "$host" = aarch64 ] && host=arm64
if [ "${MBA_ICOUNT:-0}" = 1 ] || [ "$arch" != "$host" ] ||
   [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo tcg
	exit 0
fi

cache="$MBA_CACHE/accel/$(hostname)-$arch"
if [ -f "$cache" ]; then
	cat "$cache"
	exit 0
fi

kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
case "$arch" in
x86_64) qemu=(qemu-system-x86_64 -kernel "$kdir/arch/x86/boot/bzImage")
	console=ttyS0 ;;
arm64) qemu=(qemu-system-aarch64 -M virt -cpu host
	     -kernel "$kdir/arch/arm64/boot/Image")
	console=ttyAMA0 ;;
ppc64le) qemu=(qemu-system-ppc64 -M pseries -kernel "$kdir/vmlinux")
	console=hvc0 ;;
esac
echo "accel: probing KVM for $arch guests (once per host; cached in $cache)" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout -k 5 "${MBA_KVM_PROBE_SECONDS:-30}" "${qemu[@]}" -accel kvm \
	-smp 2 -m 512M -nographic -no-reboot \
	-append "console=$console panic=-1" </dev/null >"$log" 2>&1 || true
answer=tcg
grep -q 'VFS:' "$log" && answer=kvm
echo "accel: $arch guests use $answer" >&2
mkdir -p "$(dirname "$cache")"
echo "$answer" >"$cache"
echo "$answer"
