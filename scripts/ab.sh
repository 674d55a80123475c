#!/bin/bash
# The A/B comparison of `make ab`: boot ARCH's patched kernel, run
# scripts/guest-ab.sh in it, and turn its CSV into results/<arch>-<time>/
# (report.md, CSV files, plot.svg) with scripts/ab-report.py, which also
# prints the tables.  Shows one progress line while the guest runs.
#
# With MBA_AB_BASELINE=1 (make ab BASELINE=1) it also builds the unpatched
# kernel with the same config and runs the scheduler-cost phase there, so
# the report can set the patches with nothing attached against none.
#
# Then the scheduler-cost phases (and, on the patched kernel, the latency
# of the idle scenario) run once more in an -icount boot of each kernel
# (MBA_ICOUNT=1, see env.sh), whose clock counts instructions: the same
# measurements, deterministic to a few parts in ten thousand, where the
# host-timed runs spread by tens of percent.
#
# Every kernel here is built with MBA_CONFIG=bench (env.sh): the config of
# `make check` without lock debugging.  The exception is the SYNC_CORE
# violations row, a count from the oracle that only the check kernels
# carry: its stress test boots the check kernel.  MBA_CONFIG=check measures the
# debug kernels of `make check` instead.  With MBA_SERIES=proposed
# (make ab PROPOSED=1) the patched kernel also carries patches/proposed/,
# and the results go to results/<arch>-proposed-<time>/.
#
# usage: ab.sh ARCH [ROUNDS [CALLS [ITERATIONS]]]
set -euo pipefail
export MBA_CONFIG=${MBA_CONFIG:-bench}
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: ab.sh ARCH [ROUNDS [CALLS [ITERATIONS]]]}
rounds=${2:-3}
calls=${3:-2000}
iterations=${4:-3000}

if [ "${MBA_AB_BASELINE:-0}" = 1 ] && [ "$MBA_SERIES" = proposed ]; then
	mba_die "BASELINE=1 measures the series alone; run it without PROPOSED=1"
fi

# The tree the module and tests are built from is taken before they are.
mba_build "$arch"

out=$(mba_results "$arch")
mkdir -p "$out"
raw="$out/guest.log"

# run_guest LOG ARGS...: guest-ab.sh ARGS in a guest, its console to LOG,
# progress to the terminal; prints the guest's exit status.  A guest that
# QEMU aborted before guest-ab.sh began is booted once more (see
# mba_qemu_abort_retry).
run_guest() {
	local log=$1 try rc
	shift
	for try in 1 2; do
		set +e
		timeout -k 10 "${MBA_GUEST_TIMEOUT:-1500}" "$MBA_ROOT/scripts/guest.sh" "$arch" \
			"bash $MBA_ROOT/scripts/guest-ab.sh $tests $*" \
			2>&1 | tee "$log" | "$MBA_ROOT/scripts/ab-progress.sh"
		rc=${PIPESTATUS[0]}
		set -e
		mba_qemu_abort_retry "$try" "$log" '# progress: ' || break
	done
	echo "$rc"
}

echo "=== $arch: guest ($("$MBA_ROOT/scripts/accel.sh" "$arch"), $MBA_GUEST_CPUS vCPUs); log in $raw" >&2
start=$SECONDS
rc=$(run_guest "$raw" "$rounds" "$calls" "$iterations")
echo "=== $arch: guest ran for $((SECONDS - start)) s, exit status $rc" >&2

baseline=()
if [ "${MBA_AB_BASELINE:-0}" = 1 ]; then
	echo "=== $arch: unpatched baseline kernel (built once, then cached)" >&2
	MBA_SERIES=none "$MBA_ROOT/scripts/kernel.sh" "$arch" >/dev/null
	echo "=== $arch: baseline guest; log in $out/baseline.log" >&2
	brc=$(MBA_SERIES=none run_guest "$out/baseline.log" "$rounds")
	[ "$brc" -eq 0 ] || rc=$brc
	baseline=("baseline_log=$out/baseline.log")
fi

# One round: under -icount the runs repeat, so more rounds add nothing.
# The idle scenario, and our threads on CPUs 1-3, the two of issue 22's
# budget.  With IPIs in flight the figure also counts what the
# interrupted vCPUs and the waiting caller execute until the one TCG
# thread that runs every vCPU in turn gets to the targets.
echo "=== $arch: -icount guest; log in $out/icount.log" >&2
irc=$(MBA_ICOUNT=1 run_guest "$out/icount.log" 1 200 0 idle,own-threads)
[ "$irc" -eq 0 ] || rc=$irc
icount=("icount_log=$out/icount.log")
if [ "${MBA_AB_BASELINE:-0}" = 1 ]; then
	echo "=== $arch: -icount baseline guest; log in $out/baseline-icount.log" >&2
	brc=$(MBA_SERIES=none MBA_ICOUNT=1 run_guest "$out/baseline-icount.log" 1)
	[ "$brc" -eq 0 ] || rc=$brc
	icount+=("baseline_icount_log=$out/baseline-icount.log")
fi

# The SYNC_CORE violations row.  The oracle is debug-only: only the check
# kernels carry it (patches/debug/), and it counts, it does not time, so
# its stress test runs in a guest of the check kernel.
echo "=== $arch: SYNC_CORE oracle stress, check kernel; log in $out/oracle.log" >&2
otests=$(MBA_CONFIG=check "$MBA_ROOT/scripts/selftests.sh" "$arch")
MBA_CONFIG=check "$MBA_ROOT/scripts/module.sh" "$arch" >/dev/null
set +e
MBA_CONFIG=check timeout -k 10 "${MBA_GUEST_TIMEOUT:-1500}" \
	"$MBA_ROOT/scripts/guest.sh" "$arch" \
	"bash $MBA_ROOT/scripts/guest-oracle.sh $otests" \
	>"$out/oracle.log" 2>&1
orc=$?
set -e
[ "$orc" -eq 0 ] || rc=$orc

"$MBA_PYTHON" "$MBA_ROOT/scripts/ab-report.py" "$raw" "$out" \
	"oracle_log=$out/oracle.log" \
	"arch=$arch" \
	"commit=$commit" \
	"series=$(basename "$src" | sed 's/.*-//')" \
	"series_kind=$MBA_SERIES" \
	"config=$MBA_CONFIG" \
	"accel=$("$MBA_ROOT/scripts/accel.sh" "$arch") (qemu; the -icount boots: tcg)" \
	"host_cpus=$(nproc)" \
	"guest_seconds=$((SECONDS - start))" "${baseline[@]}" "${icount[@]}"
[ "$rc" -eq 0 ] || mba_die "the guest failed (exit status $rc); see $raw"
