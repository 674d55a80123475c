#!/bin/bash
# Unpack Debian's linux-source-7.3 into the cache and apply patches/*.patch
# in order.  Prints the path of the patched tree.  The tree is keyed by the
# source package version and the content of the series, so an unchanged
# series reuses it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

TARBALL=/usr/src/linux-source-7.3.tar.xz
[ -f "$TARBALL" ] || mba_die "$TARBALL missing: run 'make deps'"

pkg_ver=$(dpkg-query -W -f='${Version}' linux-source-7.3)
shopt -s nullglob
patches=("$MBA_ROOT"/patches/*.patch)
series_hash=$(cat /dev/null "${patches[@]}" | sha256sum | cut -c1-12)
tree="$MBA_CACHE/src/linux-$pkg_ver-$series_hash"
if [ "$MBA_SERIES" = none ]; then
	patches=()
	tree="$MBA_CACHE/src/linux-$pkg_ver-unpatched"
fi

if [ -f "$tree/.mba-patched" ]; then
	echo "$tree"
	exit 0
fi

rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xJf "$TARBALL" -C "$tree.tmp" --strip-components=1
for p in "${patches[@]}"; do
	if ! patch -d "$tree.tmp" -p1 --batch --forward --quiet <"$p" >&2; then
		mba_die "patch does not apply: $(basename "$p")"
	fi
done
touch "$tree.tmp/.mba-patched"
mv "$tree.tmp" "$tree"

# Trees of older series are dead weight; builds referring to them are
# rebuilt anyway, since the tree is part of their key.  The unpatched
# baseline tree stays.
for old in "$MBA_CACHE/src/linux-"*; do
	case "$old" in
	"$tree" | *-unpatched) ;;
	*) rm -rf "$old" ;;
	esac
done
echo "$tree"
