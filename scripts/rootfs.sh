#!/bin/bash
# Build the root directory the foreign guests (arm64, ppc64le) boot with
# virtme-ng, from Debian packages of that arch, offline: busybox-static
# (the applets virtme-ng's bash virtme-init calls), bash-static (that
# init's shell), libc6 and libgcc-s1 (for the shim test's dynamic
# programs, at their PT_INTERP paths), the stand-in udevadm of
# guest-udevadm.sh, and the few files virtme-init expects.  The host's
# virtme guest tools and this repo are shared into it at boot.  Prints the
# directory; a second run with the same packages is a no-op.
#
# usage: rootfs.sh ARCH             (arm64 | ppc64le)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: rootfs.sh ARCH}
debarch=$(mba_debarch "$arch")
pkgs=(busybox-static bash-static libc6 libgcc-s1)
root="$MBA_CACHE/rootfs/$debarch"
# The busybox applet list comes from the amd64 build of the same version:
# the foreign binary does not run on the host.
key=$( {
	for p in "${pkgs[@]}"; do
		apt-cache policy "$p:$debarch" | awk '/Candidate:/ { print $2 }'
	done
	apt-cache policy busybox-static:amd64 | awk '/Candidate:/ { print $2 }'
	sha256sum "$0" "$MBA_ROOT/scripts/guest-udevadm.sh"
} | sha256sum | cut -c1-16)
if [ "$(cat "$root/.mba-key" 2>/dev/null)" = "$key" ]; then
	echo "$root"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
(cd "$tmp" && apt-get download -q "${pkgs[@]/%/:$debarch}" \
	busybox-static:amd64 >&2) || mba_die "cannot download ${pkgs[*]} for $debarch"
new="$root.new"
rm -rf "$new"
mkdir -p "$new"
for p in "${pkgs[@]}"; do
	dpkg-deb -x "$tmp/${p}"_*_"$debarch".deb "$new"
done
dpkg-deb -x "$tmp"/busybox-static_*_amd64.deb "$tmp/hostbb"
[ "$(dpkg-deb -f "$tmp"/busybox-static_*_amd64.deb Version)" = \
  "$(dpkg-deb -f "$tmp"/busybox-static_*_"$debarch".deb Version)" ] ||
	mba_die "busybox-static: amd64 and $debarch versions differ"
"$tmp/hostbb/bin/busybox" --list-full | while read -r a; do
	[ -e "$new/$a" ] || [ -L "$new/$a" ] && continue
	mkdir -p "$new/${a%/*}"
	ln -s /bin/busybox "$new/$a"
done
ln -s bash-static "$new/bin/bash"
mkdir -p "$new"/{proc,sys,dev,run,root,etc,var,home,opt,srv,usr,tmp,sbin}
chmod 1777 "$new/tmp"
echo 'root:x:0:0:root:/root:/bin/bash' >"$new/etc/passwd"
echo 'root:x:0:' >"$new/etc/group"
echo 'root:*:::::::' >"$new/etc/shadow"
: >"$new/etc/fstab"
install -m 755 "$MBA_ROOT/scripts/guest-udevadm.sh" "$new/sbin/udevadm"
printf '#!/bin/sh\nexit 0\n' >"$new/sbin/udevd"
chmod 755 "$new/sbin/udevd"
echo "$key" >"$new/.mba-key"
rm -rf "$root"
mv "$new" "$root"
echo "$root"
