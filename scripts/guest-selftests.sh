#!/bin/bash
# Runs inside the guest, with the module loaded by guest-init.sh: runs every
# selftest in DIR, then unloads the module and checks dmesg.  Each group of
# results is framed by "# MBA-BEGIN name" / "# MBA-END name rc=N" lines for
# scripts/tap-summary.sh; "# MBA-DONE" marks a guest that got to the end.
#
# usage: guest-selftests.sh DIR
set -euo pipefail

dir=${1:?usage: guest-selftests.sh DIR}
n=0
fails=0

result() {	# result NAME CMD...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		fails=$((fails + 1))
	fi
}

# shellcheck source=guest-lib.sh
. "$(dirname "$0")/guest-lib.sh"

module_loaded() {
	[ -d /sys/module/membarrier_alt ] && [ -c /dev/membarrier_alt ]
}

module_gone() {
	[ ! -e /sys/module/membarrier_alt ] && [ ! -e /dev/membarrier_alt ]
}

# A console may still hold a partial kernel line: start on a fresh one.
echo
echo "# MBA-BEGIN guest"
echo "# kernel $(uname -r) $(uname -m), $(nproc) CPUs online"
# The targeting tests need 4 CPUs; a guest that brought up fewer is broken.
result "vcpus_online_ge_4" test "$(nproc)" -ge 4
result "module_loaded" module_loaded
result "kthreads_module_loaded" insmod "$dir/membarrier_alt_kthreads.ko"
echo "# MBA-END guest rc=$fails"

# Each END line also says how long the test ran: the console has no
# timestamps, and a slow guest is otherwise hard to place.
for t in "$dir"/*_test; do
	name=$(basename "$t")
	echo "# MBA-BEGIN $name"
	start=$(date +%s)
	set +e
	"$t"
	rc=$?
	set -e
	echo "# MBA-END $name rc=$rc $(($(date +%s) - start)) s"
done

n=0
fails=0
echo "# MBA-BEGIN guest-teardown"
result "rmmod_kthreads" rmmod membarrier_alt_kthreads

# rmmod while the scheduler hooks fire: a process registered for both hook
# variants keeps switching on two CPUs; the module must detach its hooks
# (static keys off, then a grace period) before its text goes away.
hookload_ready() {
	local _
	for _ in $(seq 50); do
		grep -q ready /tmp/hookload.out 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
"$dir/membarrier_alt_hookload" 3 >/tmp/hookload.out 2>&1 &
load=$!
result "hooks_attached_under_load" hookload_ready
result "rmmod" rmmod membarrier_alt
result "hookload_survives_rmmod" wait "$load"
result "module_gone_after_rmmod" module_gone
result "dmesg_clean" dmesg_clean
echo "# MBA-END guest-teardown rc=$fails"
echo "# MBA-DONE"
