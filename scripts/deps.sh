#!/bin/bash
# Install the toolchain that builds the patched kernel, the Rust module and
# the selftests, and runs the guests.  A second run is a quick no-op.
# udev is for virtme-ng-init: without udevd in the (host-shared) root, the
# guest has no /dev/virtio-ports links, and script I/O and the exit status
# fall back to the console.
#
# Extra Debian suites reuse the URI of the configured bookworm source and are
# pinned low, so nothing from them is installed unless named with -t.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

SOURCES=/etc/apt/sources.list.d/membarrier-alt.sources
PREFS=/etc/apt/preferences.d/membarrier-alt
RUSTC_VER=$(mba_rustc_version)
STAMP="$MBA_CACHE/deps.stamp"
STAMP_KEY="$(sha256sum "$0" | cut -c1-16)-$RUSTC_VER"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_KEY" ] &&
   [ -d "$(mba_rust_lib_src)" ] && command -v bindgen >/dev/null &&
   command -v vng >/dev/null &&
   [ -f "$MBA_CACHE/rootfs/arm64/.mba-key" ] &&
   [ -f "$MBA_CACHE/rootfs/ppc64el/.mba-key" ]; then
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

debian_uri() {
	local f=/etc/apt/sources.list.d/debian.sources
	[ -f "$f" ] || mba_die "$f not found; cannot derive the Debian mirror URI"
	awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$f"
}

add_suites() {
	local uri
	uri=$(debian_uri)
	[ -n "$uri" ] || mba_die "no Debian URI found in debian.sources"
	# trixie-backports also for arm64 and ppc64el: Debian's kernel configs
	# of every arch (linux-config-7.3) are the reference of the bench
	# kernels (scripts/debian-config.sh).
	$SUDO tee "$SOURCES" >/dev/null <<EOS
Types: deb
URIs: $uri
Suites: bookworm-backports trixie
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: trixie-backports
Components: main
Architectures: amd64 arm64 ppc64el
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	$SUDO tee "$PREFS" >/dev/null <<EOS
Package: *
Pin: release n=trixie
Pin-Priority: 90

Package: *
Pin: release n=trixie-backports
Pin-Priority: 90

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 90
EOS
}

# A list of a suite or architecture we do not use may be mid-sync on the
# mirror; what we do need fails loudly at install or download time.
apt_update() {
	$SUDO apt-get update -q ||
		echo "deps: apt-get update reported errors (see above)" >&2
}

apt_install() {
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends "$@"
}

add_suites
apt_update

# rust-src must match the rustc that builds the kernel, exactly.
rust_src_ver=$(apt-cache madison rust-src |
	awk -v v="$RUSTC_VER" '$3 ~ "^"v"\\+" { print $3; exit }')
[ -n "$rust_src_ver" ] ||
	mba_die "no Debian rust-src package for rustc $RUSTC_VER (apt-cache madison rust-src)"

apt_install flex bison bc libelf-dev libssl-dev cpio kmod xz-utils \
	python3-venv gcc make perl rsync udev
# The report's plots (make ab), and make lint's Python and shell checks.
apt_install python3-matplotlib python3-pyflakes python3-pycodestyle shellcheck
apt_install -t trixie-backports "rust-src=$rust_src_ver" linux-source-7.3
# The LLVM of rustc's major version: bookworm-security carries LLVM 22
# (for the browsers), so no suite needs naming for it.
apt_install "libclang-$LLVM_VER-dev" "clang-$LLVM_VER" "lld-$LLVM_VER" \
	"llvm-$LLVM_VER"
apt_install -t bookworm-backports qemu-system-x86 qemu-system-arm \
	qemu-system-ppc
# Static selftests for the foreign guests.
apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross

# The arm64 and ppc64le guests boot a root of Debian's static busybox and
# bash of their architecture (scripts/rootfs.sh), downloaded, not installed.
for arch in arm64 ppc64le; do
	debarch=$(mba_debarch "$arch")
	if ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
		$SUDO dpkg --add-architecture "$debarch"
		apt_update
	fi
	"$MBA_ROOT/scripts/rootfs.sh" "$arch" >/dev/null
done

[ -d "$(mba_rust_lib_src)" ] ||
	mba_die "rust-src installed, but $(mba_rust_lib_src) is missing"

mkdir -p "$MBA_CACHE"
if ! "$MBA_CACHE/bindgen/bin/bindgen" --version 2>/dev/null | grep -q ' 0\.72\.1$'; then
	cargo install bindgen-cli --version 0.72.1 --locked \
		--root "$MBA_CACHE/bindgen"
fi

if ! "$MBA_CACHE/venv/bin/vng" --version 2>/dev/null | grep -q '1\.42'; then
	python3 -m venv "$MBA_CACHE/venv"
	"$MBA_CACHE/venv/bin/pip" install -q 'virtme-ng==1.42'
fi

echo "$STAMP_KEY" >"$STAMP"
echo "deps: toolchain ready (rustc $RUSTC_VER, rust-src $rust_src_ver)"
