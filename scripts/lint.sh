#!/bin/bash
# Style gates: rustfmt (with the kernel's .rustfmt.toml), a warning-free
# CLIPPY=1 module build, checkpatch on the patch series, the proposed
# fixes (membarrier and RCU) and the C selftests, shellcheck on the shell
# scripts, pyflakes and pycodestyle on the Python ones, and the report
# scripts' unit tests.
#
# usage: lint.sh ARCH
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

arch=${1:?usage: lint.sh ARCH}
src=$("$MBA_ROOT/scripts/kernel-src.sh")

echo "lint: rustfmt" >&2
rustfmt --check --edition 2021 --config-path "$src/.rustfmt.toml" \
	"$MBA_ROOT/rust/membarrier_alt.rs"

echo "lint: clippy" >&2
touch "$MBA_ROOT"/rust/membarrier_alt.rs
log=$(mktemp)
trap 'rm -f "$log"' EXIT
CLIPPY=1 "$MBA_ROOT/scripts/module.sh" "$arch" 2>"$log" >/dev/null ||
	{ cat "$log" >&2; exit 1; }
if grep -E '^(warning|error)' "$log" >&2; then
	mba_die "clippy reported the above"
fi

echo "lint: checkpatch" >&2
for p in "$MBA_ROOT"/patches/*.patch "$MBA_ROOT"/patches/debug/*.patch \
	"$MBA_ROOT"/patches/proposed/*.patch \
	"$MBA_ROOT"/patches/rcu/*.patch; do
	[ -e "$p" ] || continue
	# New files under rust/ are covered by the RUST entry of MAINTAINERS.
	# The source is an unpacked tarball: no git history to find a
	# Fixes: commit in.
	(cd "$src" && perl scripts/checkpatch.pl --strict -q \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$p")
done
(cd "$src" && perl scripts/checkpatch.pl --no-tree -q -f \
	"$MBA_ROOT"/selftests/*.[ch] \
	"$MBA_ROOT"/selftests/kthreads/membarrier_alt_kthreads.c \
	"$MBA_ROOT"/selftests/shim/*.c "$MBA_ROOT"/tools/*.[ch] \
	"$MBA_ROOT"/include/uapi/linux/*.h)
echo "lint: shellcheck" >&2
(cd "$MBA_ROOT" && shellcheck -x scripts/*.sh tools/*.sh .ci/run)

echo "lint: python" >&2
(cd "$MBA_ROOT" && "$MBA_PYTHON" -m pyflakes scripts/*.py scripts/tests/*.py &&
	"$MBA_PYTHON" -m pycodestyle scripts/*.py scripts/tests/*.py &&
	"$MBA_PYTHON" -m unittest discover -s scripts/tests)
echo "lint: clean" >&2
