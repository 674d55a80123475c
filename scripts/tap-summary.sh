#!/bin/bash
# Summarise the guest logs written by check.sh: one line per test, a line
# per arch, then the closing "N passed, N failed" summed over every log.
# An arch whose log does not reach "# MBA-DONE" (build failure, no boot,
# module not loaded, guest crash) counts as one failure.  So does a skipped
# test: the tests skip what the machine lacks, and in our guests every
# prerequisite is ours to provide.  Exits non-zero when anything failed.
#
# usage: tap-summary.sh LOG...
set -euo pipefail

awk '
function finish_arch() {
	if (arch == "")
		return
	if (section != "") {
		printf "%s: %s: did not finish\n", arch, section
		fail++; afail++
	}
	if (!done) {
		printf "%s: guest run incomplete (see %s)\n", arch, FILENAME_PREV
		fail++; afail++
	} else if (!("guest" in sections) || !("guest-teardown" in sections)) {
		printf "%s: guest checks missing from the log\n", arch
		fail++; afail++
	}
	printf "%s: passed %d, failed %d, skipped %d\n", arch, apass, afail, askip
}
FNR == 1 {
	finish_arch()
	arch = FILENAME; sub(/^(.*\/)?out\//, "", arch); sub(/\/.*/, "", arch)
	FILENAME_PREV = FILENAME
	section = ""; done = 0; apass = afail = askip = 0
	split("", sections)
}
# Markers may follow console output that lacked a newline.
/# MBA-BEGIN / {
	sub(/.*# MBA-BEGIN /, "")
	section = $1; sfail = 0; sections[section] = 1
	next
}
/# MBA-END / {
	sub(/.*# MBA-END /, "")
	rc = $2; sub(/rc=/, "", rc)
	if (rc != 0 && sfail == 0) {
		printf "%s: %s: exit status %s\n", arch, section, rc
		fail++; afail++
	}
	section = ""
	next
}
/# MBA-DONE/ { done = 1; next }
section != "" && /^(not )?ok [0-9]+ / {
	line = $0
	ok = (line ~ /^ok /)
	sub(/^(not )?ok [0-9]+ /, "", line)
	if (line ~ /# SKIP/) {
		printf "%s: %s: %s ... SKIPPED, counted as failed\n", arch, section, line
		skip++; askip++; fail++; afail++
	} else if (ok) {
		printf "%s: %s: %s ... ok\n", arch, section, line
		pass++; apass++
	} else {
		printf "%s: %s: %s ... FAILED\n", arch, section, line
		fail++; afail++; sfail++
	}
}
END {
	finish_arch()
	printf "%d passed, %d failed", pass, fail
	if (skip)
		printf " (%d of them skipped)", skip
	printf "\n"
	exit fail != 0
}
' "$@"
