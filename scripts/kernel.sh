#!/bin/bash
# Build the patched kernel for one arch into the cache and print the build
# directory.  The build is keyed by the patched tree (kernel version and
# series), the config fragments and the toolchain; an unchanged key reuses
# the existing build.
#
# usage: kernel.sh ARCH   (x86_64 | arm64 | ppc64le)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: kernel.sh ARCH}
karch=$(mba_karch "$arch")
frags=("$MBA_ROOT/qemu/common.config" "$MBA_ROOT/qemu/$arch.config")
frags+=("$MBA_ROOT/qemu/$MBA_CONFIG.config")
# The bench kernels follow Debian's config, partly per arch.
[ "$MBA_CONFIG" != bench ] || frags+=("$MBA_ROOT/qemu/bench-$arch.config")
for f in "${frags[@]}"; do
	[ -f "$f" ] || mba_die "missing config fragment $f"
done

src=$("$MBA_ROOT/scripts/kernel-src.sh")
key=$( {
	basename "$src"
	cat "${frags[@]}"
	rustc --version
	"$LLVM_BIN/clang" --version | head -1
	bindgen --version
} | sha256sum | cut -c1-12)
flavor=$(mba_flavor "$arch")
out="$MBA_CACHE/build/$flavor-$key"

if [ -f "$out/.mba-built" ]; then
	echo "$out"
	exit 0
fi

case "$arch" in
x86_64) targets=(bzImage modules headers) ;;
arm64) targets=(Image modules headers) ;;
ppc64le) targets=(vmlinux modules headers) ;;
esac

kmake() {
	make -C "$src" O="$out" ARCH="$karch" LLVM=1 \
		RUST_LIB_SRC="$(mba_rust_lib_src)" "$@"
}

echo "kernel: building $arch in $out" >&2
rm -rf "$out"
mkdir -p "$out"
{
	kmake tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "${frags[@]}"
	kmake olddefconfig

	# Every fragment line must have stuck; a later fragment overrides an
	# earlier one, as in merge_config.sh.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n)
			# Off, or absent because its dependencies are off.
			if grep -qE "^${line%=n}=[ym]$" "$out/.config"; then
				echo "config: '$line' did not stick" >&2
				bad=1
			fi
			continue
			;;
		CONFIG_*) want=$line ;;
		*) continue ;;
		esac
		if ! grep -qxF "$want" "$out/.config"; then
			echo "config: '$line' did not stick" >&2
			bad=1
		fi
	done < <(cat "${frags[@]}" |
		awk -F= '/^CONFIG_/ { last[$1] = $0; order[++n] = $1 }
			 END { for (i = 1; i <= n; i++)
				if (!seen[order[i]]++) print last[order[i]] }')
	[ "$bad" -eq 0 ] || mba_die "config fragments not satisfied (see above)"
	if [ "$MBA_CONFIG" = bench ]; then
		"$MBA_ROOT/scripts/bench-config-check.sh" "$arch" "$out/.config" \
			>"$out/debian-check.txt" ||
			mba_die "not configured as Debian: $(grep -E '^(DIFFERS|STALE)' "$out/debian-check.txt")"
	fi

	kmake -j"$(($(nproc) + 1))" "${targets[@]}"
} >"$out.log" 2>&1 || {
	tail -40 "$out.log" >&2
	mba_die "kernel build for $arch failed; full log: $out.log"
}
touch "$out/.mba-built"

# Older builds of this flavor are dead weight (a few GiB each); other
# flavors (unpatched, proposed, bench) stay beside this one.
for old in "$MBA_CACHE/build/$flavor"-*; do
	if [ "$old" = "$out" ] || [ "$old" = "$out.log" ]; then
		continue
	fi
	if [[ ${old#"$MBA_CACHE/build/$flavor"-} =~ ^[0-9a-f]{12}(\.log)?$ ]]; then
		rm -rf "$old"
	fi
done
echo "$out"
