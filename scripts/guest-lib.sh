# shellcheck shell=sh
# Sourced by the scripts that run inside a guest (bash, with the host's
# tools on x86_64 and busybox's on the foreign arches): what they share.

# Reports of this kind in dmesg fail the run, whoever caused them.  Lockdep
# reports all start with "WARNING:" or "BUG:"; the lockdep boot banner
# (MAX_LOCKDEP_*) is not a report.
DMESG_BAD='WARNING:|BUG:|Oops|Call Trace:|general protection fault|kernel BUG|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|rcu: INFO: .* stall|Kernel panic'

# Succeeds when dmesg holds no such report; otherwise prints them.
dmesg_clean() {
	if dmesg | grep -qE "$DMESG_BAD"; then
		echo "# dmesg reports:"
		dmesg | grep -E -A20 "$DMESG_BAD" | head -120 | sed 's/^/#   /'
		return 1
	fi
}
