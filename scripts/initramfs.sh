#!/bin/bash
# Build the initramfs the arm64 and ppc64le guests boot, and print its path.
#
# virtme-ng runs foreign arches only with --root pointing at a full guest
# root (bash, mount, /etc/fstab: a debootstrap of the foreign userspace,
# second-staged under qemu-user), and its fast init is a host binary.  A
# static busybox from Debian's busybox-static of the guest's architecture is
# one package instead, and boots in seconds.  The initramfs carries the
# module, the selftests and the repo's scripts at their host paths, so the
# command a guest runs reads the same on every arch.
#
# usage: initramfs.sh ARCH [CMD]   (CMD runs in the guest; none: a shell)
set -euo pipefail
. "$(dirname "$0")/env.sh"

arch=${1:?usage: initramfs.sh ARCH [CMD]}
cmd=${2-}
case "$arch" in
arm64) debarch=arm64 ;;
ppc64le) debarch=ppc64el ;;
*) mba_die "initramfs.sh: no initramfs guest for $arch" ;;
esac
busybox="$MBA_CACHE/busybox/$debarch/bin/busybox"
[ -x "$busybox" ] || mba_die "$busybox missing: run 'make deps'"

ko=$("$MBA_ROOT/scripts/module.sh" "$arch")
tests=$("$MBA_ROOT/scripts/selftests.sh" "$arch")
out="$MBA_ROOT/out/$arch"
root="$out/initramfs"

rm -rf "$root"
mkdir -p "$root/bin" "$root/$MBA_ROOT/scripts" "$root/$(dirname "$ko")" \
	"$root/$tests"
cp "$busybox" "$root/bin/busybox"
cp "$ko" "$root/$ko"
cp "$tests"/* "$root/$tests/"
cp "$MBA_ROOT"/scripts/guest-*.sh "$root/$MBA_ROOT/scripts/"
printf 'ko=%q\ninit=%q\ncmd=%q\n' "$ko" "$MBA_ROOT/scripts/guest-init.sh" \
	"$cmd" >"$root/mba.env"

cat >"$root/init" <<'EOS'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
# No tmpfs on /tmp: the rootfs is writable, and the repo may live there.
export PATH=/bin HOME=/root MBA_SHELL=sh
. /mba.env
cd "$(dirname "$init")/.."
sh "$init" "$ko" "$cmd"
poweroff -f
EOS
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"
echo "$out/initramfs.cpio.gz"
