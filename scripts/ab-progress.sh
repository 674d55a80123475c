#!/bin/bash
# Filter for the guest output of `make ab`: shows the "# progress: ..."
# lines on one line of the terminal (one per line when not a terminal) and
# drops the rest, which scripts/ab.sh keeps in the guest log.
set -euo pipefail

tty=0
[ -t 2 ] && tty=1
while IFS= read -r line; do
	case "$line" in
	*"# progress: "*)
		msg=${line#*# progress: }
		if [ "$tty" -eq 1 ]; then
			printf '\r\033[K%s' "$msg" >&2
		else
			printf '%s\n' "$msg" >&2
		fi
		;;
	esac
done
[ "$tty" -eq 0 ] || printf '\r\033[K' >&2
