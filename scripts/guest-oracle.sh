#!/bin/sh
# Runs inside a guest of the check kernel (make ab): the SYNC_CORE oracle's
# stress test, with the test kthreads it needs.  POSIX sh: the foreign
# arches' initramfs guests have only busybox.
#
# usage: guest-oracle.sh DIR   (the check kernel's selftests)
set -eu

dir=${1:?usage: guest-oracle.sh DIR}
echo
echo "# MBA-BEGIN oracle"
insmod "$dir/membarrier_alt_kthreads.ko"
rc=0
"$dir/membarrier_alt_oracle_stress_test" || rc=$?
rmmod membarrier_alt_kthreads
echo "# MBA-END oracle rc=$rc"
exit "$rc"
