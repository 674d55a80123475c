#!/bin/bash
# Build and run the kselftests in a guest for each arch, then summarise.
# Each arch's output goes to check.log in its out/ directory (out/<arch>,
# or out/<arch>-proposed with PROPOSED=1); an arch that fails to build or
# boot still gets a log, and counts as failed.
#
# usage: check.sh ARCH...
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

[ $# -gt 0 ] || mba_die "usage: check.sh ARCH..."
timeout=${MBA_GUEST_TIMEOUT:-1200}
logs=()
# On kernels with the proposed fixes (PROPOSED=1), the tests that know a
# fix assert its effect instead of only agreeing with the syscall.
genv=
[ "$MBA_SERIES" != proposed ] || genv="MBA_PROPOSED=1 "

for arch in "$@"; do
	log="$(mba_out "$arch")/check.log"
	mkdir -p "$(dirname "$log")"
	logs+=("$log")
	echo "=== $arch: build" >&2
	if ! tests=$("$MBA_ROOT/scripts/selftests.sh" "$arch") ||
	   ! "$MBA_ROOT/scripts/module.sh" "$arch" >/dev/null; then
		echo "# $arch: build failed" >"$log"
		continue
	fi
	# A guest that QEMU aborted before its first test is booted once
	# more (see mba_qemu_abort_retry).
	for try in 1 2; do
		echo "=== $arch: guest" >&2
		start=$SECONDS
		timeout -k 10 "$timeout" "$MBA_ROOT/scripts/guest.sh" "$arch" \
			"${genv}bash $MBA_ROOT/scripts/guest-selftests.sh $tests" 2>&1 |
			tee "$log" || true
		echo "=== $arch: guest ran for $((SECONDS - start)) s" >&2
		mba_qemu_abort_retry "$try" "$log" '^# MBA-BEGIN' || break
	done
done

"$MBA_ROOT/scripts/tap-summary.sh" "${logs[@]}"
