#!/bin/bash
# Fetch one of Debian's kernel configs, the reference of the bench kernels
# (qemu/bench*.config, scripts/config-vs-debian.py), into the cache and
# print its path.  PACKAGE is linux-config-7.3 or linux-config-6.1; the
# version is the candidate apt offers for DEBARCH (for linux-config-7.3,
# the version of the linux-source-7.3 we build), and is part of the path.
#
# usage: debian-config.sh PACKAGE DEBARCH   (e.g. linux-config-7.3 arm64)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

pkg=${1:?usage: debian-config.sh PACKAGE DEBARCH}
debarch=${2:?usage: debian-config.sh PACKAGE DEBARCH}
case "$debarch" in
amd64) flavour=amd64 ;;
arm64) flavour=arm64 ;;
ppc64el) flavour=powerpc64le ;;
*) mba_die "debian-config.sh: unknown Debian arch $debarch" ;;
esac
if [ "$pkg" = linux-config-7.3 ]; then
	ver=$(dpkg-query -W -f='${Version}' linux-source-7.3)
else
	ver=$(apt-cache policy "$pkg:$debarch" | awk '/Candidate:/ { print $2 }')
fi
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	mba_die "no $pkg for $debarch in apt's lists (run 'make deps')"
fi
kver=${pkg#linux-config-}
out="$MBA_CACHE/debian-config/$pkg-$ver-$debarch.config"
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt's download sandbox user must be able to write there.
chmod 755 "$tmp"
(cd "$tmp" && apt-get download -q "$pkg:$debarch=$ver" >&2) ||
	mba_die "cannot download $pkg:$debarch=$ver"
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
xz="$tmp/x/usr/src/linux-config-$kver/config.${debarch}_none_$flavour.xz"
[ -f "$xz" ] || mba_die "$pkg:$debarch has no config.${debarch}_none_$flavour"
mkdir -p "$(dirname "$out")"
xz -dc "$xz" >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
