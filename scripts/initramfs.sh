#!/bin/bash
# Build the initramfs the arm64 and ppc64le guests boot, and print its path.
#
# virtme-ng runs foreign arches only with --root pointing at a full guest
# root (bash, mount, /etc/fstab: a debootstrap of the foreign userspace,
# second-staged under qemu-user), and its fast init is a host binary.  A
# static busybox from Debian's busybox-static of the guest's architecture is
# one package instead, and boots in seconds.  The initramfs carries the
# module, the selftests and the repo's scripts at their host paths, so the
# command a guest runs reads the same on every arch.  With MBA_SERIES=none
# it is built for the unpatched kernel, without the module.
#
# usage: initramfs.sh ARCH [CMD]   (CMD runs in the guest; none: a shell)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: initramfs.sh ARCH [CMD]}
cmd=${2-}
case "$arch" in
arm64) debarch=arm64 gnu=aarch64-linux-gnu ;;
ppc64le) debarch=ppc64el gnu=powerpc64le-linux-gnu ;;
*) mba_die "initramfs.sh: no initramfs guest for $arch" ;;
esac
busybox="$MBA_CACHE/busybox/$debarch/bin/busybox"
[ -x "$busybox" ] || mba_die "$busybox missing: run 'make deps'"

tests=$("$MBA_ROOT/scripts/selftests.sh" "$arch")
out=$(mba_out "$arch")
name=initramfs
ko=-	# the unpatched kernel (MBA_SERIES=none) has no module
if [ "$MBA_SERIES" = none ]; then
	name=initramfs-unpatched
else
	ko=$("$MBA_ROOT/scripts/module.sh" "$arch")
fi
root="$out/$name"

rm -rf "$root"
mkdir -p "$root/bin" "$root/$MBA_ROOT/scripts" "$root/$tests"
cp "$busybox" "$root/bin/busybox"
if [ "$ko" != - ]; then
	mkdir -p "$root/$(dirname "$ko")"
	cp "$ko" "$root/$ko"
fi
cp -r "$tests"/* "$root/$tests/"
cp "$MBA_ROOT"/scripts/guest-*.sh "$root/$MBA_ROOT/scripts/"

# The LD_PRELOAD shim's test runs dynamic programs.  Give them the cross
# glibc (libc6-<arch>-cross): each loader at its PT_INTERP path, and the
# libraries they need in /lib, where that loader looks by default.
add_libs() {	# add_libs ELF: its loader and libraries, recursively
	local info interp lib sysroot=/usr/$gnu/lib
	info=$(readelf -ldW "$1" 2>/dev/null || true)
	interp=$(sed -n 's/.*program interpreter: \(.*\)]$/\1/p' <<<"$info")
	if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
		mkdir -p "$root$(dirname "$interp")"
		cp -L "$sysroot/$(basename "$interp")" "$root$interp"
	fi
	while read -r lib; do
		[ -e "$root/lib/$lib" ] && continue
		cp -L "$sysroot/$lib" "$root/lib/$lib"
		add_libs "$sysroot/$lib"
	done < <(sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' <<<"$info")
}
mkdir -p "$root/lib"
while IFS= read -r -d '' f; do
	add_libs "$f"
done < <(find "$tests" -type f -print0)
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

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/$name.cpio.gz"
echo "$out/$name.cpio.gz"
