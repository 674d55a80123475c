#!/bin/bash
# Runs inside the guest: load the module, then run CMD (or an interactive
# shell) and exit with its status.
#
# usage: guest-init.sh KO|- [CMD]
set -euo pipefail

ko=${1:?usage: guest-init.sh KO [CMD]}
cmd=${2-}

# KO "-": a kernel without the module (the unpatched baseline).
if [ "$ko" != - ]; then
	if ! insmod "$ko"; then
		echo "guest-init: insmod $ko failed" >&2
		dmesg | tail -20 >&2
		exit 125
	fi
	# Scripts run in the guest may unload and reload the module.
	export MBA_KO="$ko"
fi
if [ -z "$cmd" ]; then
	exec bash -i
fi
set +e
bash -c "$cmd"
rc=$?
echo "guest-init: exit status $rc"
exit "$rc"
