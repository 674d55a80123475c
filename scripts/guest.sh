#!/bin/bash
# Boot the patched kernel of ARCH in a virtme-ng guest, under KVM or TCG as
# scripts/accel.sh decides, with the module loaded.  Foreign arches boot
# an initramfs with plain qemu instead: see guest-qemu.sh.  With CMD, run it
# through bash in the guest, print its output and exit with its status;
# without, open an interactive shell.  The host root, and so this repo, is
# visible in the guest at the same path.
#
# With MBA_ICOUNT=1 the guest runs under -icount (see guest-qemu.sh).
#
# usage: guest.sh ARCH [CMD]
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: guest.sh ARCH [CMD]}
cmd=${2-}
if [ "$arch" != x86_64 ]; then
	exec "$MBA_ROOT/scripts/guest-qemu.sh" "$arch" "$cmd"
fi
kdir=$("$MBA_ROOT/scripts/kernel.sh" "$arch")
ko=-	# the unpatched kernel has no module
[ "$MBA_SERIES" = none ] || ko=$("$MBA_ROOT/scripts/module.sh" "$arch")

vng_args=(
	--run "$kdir"
	--force-9p
	--cpus "$MBA_GUEST_VCPUS"
	--memory "${MBA_GUEST_MEM:-1G}"
	--cwd "$PWD"
	--append root=/dev/root
	--append "maxcpus=$MBA_GUEST_CPUS"
)
if [ "$("$MBA_ROOT/scripts/accel.sh" "$arch")" = tcg ]; then
	vng_args+=(--disable-kvm)
fi
if [ -n "$MBA_GUEST_APPEND" ]; then
	vng_args+=(--append "$MBA_GUEST_APPEND")
fi
if [ "${MBA_ICOUNT:-0}" = 1 ]; then
	vng_args+=(--qemu-opts "$MBA_ICOUNT_OPTS")
fi

init="$MBA_ROOT/scripts/guest-init.sh"
if [ -n "$cmd" ]; then
	exec vng "${vng_args[@]}" \
		--exec "$init $(printf '%q' "$ko") $(printf '%q' "$cmd")" </dev/null
fi
exec vng "${vng_args[@]}" --exec "$init $(printf '%q' "$ko")"
