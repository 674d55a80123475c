#!/bin/bash
# Runs inside the guest for `make profile`, with the module loaded by
# guest-init.sh: `membarrier_alt_bench profile`, then the symbols
# scripts/profile-report.py maps the counts to: /proc/kallsyms, and the
# start of each module's section of call stubs (ppc64le .stubs, arm64
# .plt), whose code has no symbol of its own and would otherwise be counted
# under the module function that happens to precede it.
#
# usage: guest-profile.sh DIR CALLS
set -euo pipefail

dir=${1:?usage: guest-profile.sh DIR CALLS}
calls=${2:?usage: guest-profile.sh DIR CALLS}

"$dir/membarrier_alt_bench" profile "$calls"
cat /proc/kallsyms
for s in /sys/module/*/sections/.stubs /sys/module/*/sections/.plt; do
	[ -r "$s" ] || continue
	mod=${s#/sys/module/}
	echo "$(sed 's/^0x//' "$s") t (${s##*/}) [${mod%%/*}]"
done
