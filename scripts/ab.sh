#!/bin/bash
# The A/B comparison of `make ab`: boot ARCH's patched kernel, run
# scripts/guest-ab.sh in it, and turn its CSV into results/<arch>-<time>/
# (report.md, CSV files, plot.svg) with scripts/ab-report.py, which also
# prints the tables.  Shows one progress line while the guest runs.
#
# usage: ab.sh ARCH [ROUNDS [CALLS [ITERATIONS]]]
set -euo pipefail
. "$(dirname "$0")/env.sh"

arch=${1:?usage: ab.sh ARCH [ROUNDS [CALLS [ITERATIONS]]]}
rounds=${2:-3}
calls=${3:-2000}
iterations=${4:-3000}

echo "=== $arch: build" >&2
src=$("$MBA_ROOT/scripts/kernel-src.sh")
tests=$("$MBA_ROOT/scripts/selftests.sh" "$arch")
"$MBA_ROOT/scripts/module.sh" "$arch" >/dev/null

out="$MBA_ROOT/results/$arch-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
raw="$out/guest.log"

echo "=== $arch: guest (TCG, ${MBA_GUEST_CPUS:-4} vCPUs); log in $raw" >&2
start=$SECONDS
set +e
timeout -k 10 "${MBA_GUEST_TIMEOUT:-1500}" "$MBA_ROOT/scripts/guest.sh" "$arch" \
	"\${MBA_SHELL:-bash} $MBA_ROOT/scripts/guest-ab.sh $tests $rounds $calls $iterations" \
	2>&1 | tee "$raw" | "$MBA_ROOT/scripts/ab-progress.sh"
rc=${PIPESTATUS[0]}
set -e
echo "=== $arch: guest ran for $((SECONDS - start)) s, exit status $rc" >&2

python3 "$MBA_ROOT/scripts/ab-report.py" "$raw" "$out" \
	"arch=$arch" \
	"series=$(basename "$src" | sed 's/.*-//')" \
	"accel=TCG (qemu, --disable-kvm)" \
	"host_cpus=$(nproc)" \
	"guest_seconds=$((SECONDS - start))"
[ "$rc" -eq 0 ] || mba_die "the guest failed (exit status $rc); see $raw"
