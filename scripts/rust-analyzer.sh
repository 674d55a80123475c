#!/bin/bash
# Write rust-project.json for the module, so that rust-analyzer sees the
# crate with the kernel crate it builds against: the kernel's own
# out-of-tree form, `make -C $KDIR M=$PWD rust-analyzer`, against the
# cached kernel of ARCH or your own build (KDIR).  rust/Kbuild names the
# crate root, which is how the kernel's generator finds it.
#
# usage: rust-analyzer.sh ARCH      (ARCH ignored with KDIR)
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "$0")/env.sh"

mba_kernel "${1-}"

make -C "$kdir" M="$MBA_ROOT" ARCH="$(mba_karch "$arch")" LLVM=1 \
	${lib_src:+RUST_LIB_SRC="$lib_src"} rust-analyzer >&2
json="$MBA_ROOT/rust-project.json"
[ -f "$json" ] || mba_die "make rust-analyzer wrote no $json"
python3 - "$json" <<'PY' || mba_die "$json does not hold the membarrier_alt crate"
import json, sys
crates = json.load(open(sys.argv[1]))["crates"]
sys.exit(not any(c["display_name"] == "membarrier_alt" for c in crates))
PY
echo "$json"
