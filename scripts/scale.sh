#!/bin/bash
# How each implementation's cost grows with the CPU count (`make scale`):
# boot ARCH's bench kernel under -icount once per CPU count, with that
# many vCPUs online, and measure PRIVATE_EXPEDITED and GLOBAL_EXPEDITED
# with the other CPUs idle and with a thread of ours spinning on each of
# them.  scripts/scale-report.py turns the logs into
# results/<arch>-scale-<time>/ (scale.md, scale.json, scale.png): the
# instructions per call at each count and each implementation's fitted
# increment per CPU.
#
# usage: scale.sh ARCH [CALLS [CPUS...]]   (defaults: 200; 4 16 64)
set -euo pipefail
export MBA_CONFIG=${MBA_CONFIG:-bench}
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: scale.sh ARCH [CALLS [CPUS...]]}
calls=${2:-200}
shift $(($# < 2 ? $# : 2))
counts=("$@")
[ "${#counts[@]}" -gt 0 ] || counts=(4 16 64)

mba_build "$arch"

out=$(mba_results "$arch" -scale)
mkdir -p "$out"
logs=()
for n in "${counts[@]}"; do
	log="$out/cpus-$n.log"
	echo "=== $arch: -icount guest, $n CPUs; log in $log" >&2
	MBA_ICOUNT=1 MBA_GUEST_CPUS=$n MBA_GUEST_VCPUS=$n \
		timeout -k 10 "${MBA_GUEST_TIMEOUT:-3600}" \
		"$MBA_ROOT/scripts/guest.sh" "$arch" \
		"bash $MBA_ROOT/scripts/guest-ab.sh $tests 0 $calls 0 idle,own-threads PRIVATE_EXPEDITED,GLOBAL_EXPEDITED" \
		>"$log" 2>&1 || mba_die "the $n-CPU guest failed; see $log"
	logs+=("$n=$log")
done

"$MBA_PYTHON" "$MBA_ROOT/scripts/scale-report.py" "$out" "arch=$arch" \
	"commit=$commit" "series=$(basename "$src" | sed 's/.*-//')" \
	"config=$MBA_CONFIG" "${logs[@]}"
