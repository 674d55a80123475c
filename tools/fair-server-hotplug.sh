#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In a guest booted with more possible CPUs than maxcpus= brings up (the
# check guests: 66 possible, 4 online), show the fair server of a CPU
# online at boot and of the last possible CPU once onlined, and try to
# give the latter a runtime.  docs/findings/fair-server-hotplug.md.
#
# usage: make vm RUN='bash tools/fair-server-hotplug.sh'
set -uo pipefail
exec 2>&1
d=/sys/kernel/debug/sched/fair_server
last=$(($(nproc --all) - 1))
echo "possible $(cat /sys/devices/system/cpu/possible)," \
	"online $(cat /sys/devices/system/cpu/online)"
[ "$last" -ge 4 ] || { echo "no CPU offline at boot"; exit 1; }
echo 1 >"/sys/devices/system/cpu/cpu$last/online" || exit 1
echo "cpu$last onlined"
for c in 1 "$last"; do
	echo "cpu$c fair server: runtime $(cat "$d/cpu$c/runtime")" \
		"period $(cat "$d/cpu$c/period")"
done
if echo 50000000 >"$d/cpu$last/runtime"; then
	echo "cpu$last runtime write: ok"
else
	echo "cpu$last runtime write: failed"
fi
echo 0 >"/sys/devices/system/cpu/cpu$last/online"
echo "cpu$last offlined"
