#!/bin/bash
# Check a bench kernel's .config against Debian's (config-vs-debian.py):
# bench.config and the arch's bench fragment, each against its reference.
# Prints the comparison; fails on an unexplained difference.
#
# The references are Debian's linux-config-7.3 of the arch, except on
# ppc64le: its 7.3 config is listed but not downloadable from our mirror
# (qemu/bench-ppc64le.config), so bench.config is checked there against
# what Debian's amd64 and arm64 7.3 configs set alike, and the powerpc
# fragment against Debian's ppc64el linux-config-6.1.
#
# usage: bench-config-check.sh ARCH BUILT_CONFIG
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: bench-config-check.sh ARCH BUILT_CONFIG}
built=${2:?usage: bench-config-check.sh ARCH BUILT_CONFIG}
ref() { "$MBA_ROOT/scripts/debian-config.sh" "$@"; }

case "$arch" in
x86_64 | arm64)
	common=$(ref linux-config-7.3 "$(mba_debarch "$arch")")
	own=$common
	;;
ppc64le)
	common=$(ref linux-config-7.3 amd64),$(ref linux-config-7.3 arm64)
	own=$(ref linux-config-6.1 ppc64el)
	;;
*) mba_die "bench-config-check.sh: unknown arch $arch" ;;
esac
"$MBA_PYTHON" "$MBA_ROOT/scripts/config-vs-debian.py" "$built" \
	"$MBA_ROOT/qemu/bench.config=$common" \
	"$MBA_ROOT/qemu/bench-$arch.config=$own"
