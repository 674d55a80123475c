#!/bin/bash
# Unpack Debian's linux-source-7.3 into the cache and apply patches/*.patch
# in order (with MBA_SERIES=none, the baseline: only the patches that touch
# nothing but rust/; with MBA_SERIES=proposed, patches/proposed/*.patch
# after them; for the check kernels, patches/debug/*.patch last).  Prints
# the path of the tree.  The tree is keyed by the source package version
# and the changes the patches make, so an unchanged series reuses it.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

TARBALL=/usr/src/linux-source-7.3.tar.xz
[ -f "$TARBALL" ] || mba_die "$TARBALL missing: run 'make deps'"

pkg_ver=$(dpkg-query -W -f='${Version}' linux-source-7.3)
shopt -s nullglob
patches=("$MBA_ROOT"/patches/*.patch)
kind=
if [ "$MBA_SERIES" = none ]; then
	# The baseline keeps only the patches that touch nothing but rust/:
	# bindings, helpers and the kernel crate's own build fixes (without
	# which the kernel crate does not build on powerpc), none of which
	# the scheduler runs.  The patches under test are left out.
	base=()
	for p in "${patches[@]}"; do
		if ! grep '^diff --git ' "$p" | grep -qv '^diff --git a/rust/'; then
			base+=("$p")
		fi
	done
	patches=("${base[@]}")
	kind=unpatched-
elif [ "$MBA_SERIES" = proposed ]; then
	# The series, then the proposed fixes to in-tree membarrier.
	patches+=("$MBA_ROOT"/patches/proposed/*.patch)
	kind=proposed-
fi
# The kernels of `make check` (MBA_CONFIG=check) also carry the debug-only
# patches (patches/debug/: the SYNC_CORE oracle, behind its own Kconfig
# symbol); the bench kernels and the baseline do not.
if [ "$MBA_CONFIG" = check ] && [ "$MBA_SERIES" != none ]; then
	patches+=("$MBA_ROOT"/patches/debug/*.patch)
	kind=${kind}debug-
fi
# Keyed by what the patches change, not by how they describe it: from each
# patch's first "diff --git" line to its signature ("-- "), so that editing
# a changelog, or regenerating the series with new commit ids, rebuilds no
# kernel.
series_hash=$(for p in "${patches[@]}"; do
	sed -n '/^diff --git /,/^-- $/p' "$p"
done | sha256sum | cut -c1-12)
tree="$MBA_CACHE/src/linux-$pkg_ver-$kind$series_hash"

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
# rebuilt anyway, since the tree is part of their key.  The trees of the
# other kinds (patched, baseline, proposed, each with or without the debug
# patches) stay.
for old in "$MBA_CACHE/src/linux-"*; do
	[ "$old" != "$tree" ] || continue
	if [[ $(basename "$old") =~ -(unpatched-|proposed-)?(debug-)?[0-9a-f]{12}(\.tmp)?$ ]] &&
		[ "${BASH_REMATCH[1]}${BASH_REMATCH[2]}" = "$kind" ]; then
		rm -rf "$old"
	fi
done
echo "$tree"
