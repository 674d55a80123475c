#!/bin/bash
# Runs inside the guest for `make ab`, with the module loaded by
# guest-init.sh: the benchmark phases of membarrier_alt_bench, framed by
# "# MBA-AB-BEGIN" and "# MBA-AB-END rc=N" for scripts/ab-report.py.
# The bench's "# progress: ..." lines go to the console as they come; its
# CSV rows are collected and printed at the end, so that the two never
# interleave on the one console.
#
# The scheduler-cost phases run in rounds, each from "not loaded" to "hooks
# attached, mm registered", so that a drift of the (emulated) machine over
# time spreads over every phase instead of biasing one.  CALLS=0 skips the
# latency phase, ITERATIONS=0 the litmus, and SCENARIOS limits the latency
# phase to those scenarios, comma-separated (the -icount boots of
# scripts/ab.sh), and CMDS to those commands (scripts/scale.sh).
#
# usage: guest-ab.sh DIR [ROUNDS [CALLS [ITERATIONS [SCENARIOS [CMDS]]]]]
set -euo pipefail

dir=${1:?usage: guest-ab.sh DIR [ROUNDS [CALLS [ITERATIONS [SCENARIOS [CMDS]]]]]}
rounds=${2:-3}
calls=${3:-2000}
iterations=${4:-3000}
scenarios=${5-}
cmds=${6-}
bench="$dir/membarrier_alt_bench"
# shellcheck source=guest-lib.sh
. "$(dirname "$0")/guest-lib.sh"
csv=$(mktemp)

# The preemption model the kernel runs with (a PREEMPT_DYNAMIC kernel
# names the current one in brackets), or the one it was built with.
preempt_model() {
	local f=/sys/kernel/debug/sched/preempt
	if [ -r "$f" ]; then
		sed -n 's/.*(\([a-z]*\)).*/\1/p' "$f"
	else
		uname -v | grep -oE 'PREEMPT_[A-Z]+|PREEMPT ' | head -1
	fi
}

# What the kernel turned on against the CPU QEMU presents, one
# "name: state" per vulnerability, without the commas of the CSV.
mitigations() {
	local f
	for f in /sys/devices/system/cpu/vulnerabilities/*; do
		[ -r "$f" ] || continue
		printf '%s: %s; ' "${f##*/}" "$(tr ',' ' ' <"$f")"
	done
}

b() {
	"$bench" "$@" >>"$csv"
}

{
	echo "meta,kernel,$(uname -r)"
	echo "meta,machine,$(uname -m)"
	echo "meta,vcpus,$(nproc)"
	echo "meta,possible,$(cat /sys/devices/system/cpu/possible)"
	echo "meta,module,$([ -n "${MBA_KO:-}" ] && echo loaded || echo none)"
	echo "meta,preempt,$(preempt_model)"
	echo "meta,mitigations,$(mitigations)"
} >"$csv"

r=1
while [ "$r" -le "$rounds" ]; do
	echo "# progress: scheduler cost, round $r of $rounds" >&2
	if [ -n "${MBA_KO:-}" ]; then
		rmmod membarrier_alt
	fi
	b pingpong not-loaded
	if [ -n "${MBA_KO:-}" ]; then
		insmod "$MBA_KO"
		b pingpong loaded
		# Attached from here to the next rmmod.
		b attach
		b pingpong attached-unregistered
		b pingpong registered-lazy-tlb-sync lazy-tlb-sync
		b pingpong registered-mm-cid-mb mm-cid-mb
	fi
	r=$((r + 1))
done

if [ -n "${MBA_KO:-}" ] && [ "$calls" -gt 0 ]; then
	insmod "$dir/membarrier_alt_kthreads.ko"
	if [ -z "$scenarios" ]; then
		b latency "$calls"
	else
		for sc in ${scenarios//,/ }; do
			# shellcheck disable=SC2086 # no CMDS: no argument
			b latency "$calls" "$sc" $cmds
		done
	fi
	if [ -z "$scenarios" ]; then
		b rseq-cpu "$calls"
	fi
	if [ "$iterations" -gt 0 ]; then
		b litmus "$iterations"
	fi
	rmmod membarrier_alt_kthreads
fi

rc=0
dmesg_clean || rc=1
echo
echo "# MBA-AB-BEGIN"
cat "$csv"
echo "meta,dmesg_clean,$((1 - rc))"
echo "# MBA-AB-END rc=$rc"
