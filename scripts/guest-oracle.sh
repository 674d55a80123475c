#!/bin/sh
# Runs inside a guest of the check kernel (make ab): the SYNC_CORE oracle's
# stress test, with the test kthreads it needs.
#
# usage: guest-oracle.sh DIR   (the check kernel's selftests)
set -eu

dir=${1:?usage: guest-oracle.sh DIR}
echo
echo "# MBA-BEGIN oracle"
insmod "$dir/membarrier_alt_kthreads.ko"
# Through a file: on the console the test's stdout and stderr (its
# TH_LOG lines, which hold the figures) interleave mid-line.
log=$(mktemp)
rc=0
"$dir/membarrier_alt_oracle_stress_test" >"$log" 2>&1 || rc=$?
cat "$log"
rm -f "$log"
rmmod membarrier_alt_kthreads
echo "# MBA-END oracle rc=$rc"
exit "$rc"
