#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a built kernel .config against Debian's on the bench fragments.

Every CONFIG_ line of each fragment names a symbol on the measured paths.
Its value in the built .config must equal the reference's: Debian's own
config, or, given several references, the value they all agree on.  A
difference passes only when the line follows a comment that begins with
"not as Debian:" and says why; such a comment on a line that does not
differ fails too, so that no stale explanation survives.  A symbol absent
from a config counts as "n", as in Kconfig.

usage: config-vs-debian.py BUILT_CONFIG FRAGMENT=REF[,REF...] ...

Prints one line per symbol, and exits 1 on any unexplained difference.
"""

import re
import sys

MARK = "not as Debian:"
SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


def parse_config(path):
    """Symbol -> value of a .config or fragment; "n" for "is not set"."""
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            m = SET.match(line)
            if m:
                values[m.group(1)] = m.group(2)
                continue
            m = UNSET.match(line)
            if m:
                values[m.group(1)] = "n"
    return values


def fragment_lines(path):
    """(symbol, explained) per CONFIG_ line of a fragment, in order."""
    out = []
    explained = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                explained = False
            elif line.startswith("#"):
                if line.lstrip("# ").startswith(MARK):
                    explained = True
            else:
                m = SET.match(line)
                if m:
                    out.append((m.group(1), explained))
                explained = False
    return out


def reference_value(symbol, refs):
    """The value every reference agrees on, or None."""
    vals = {ref.get(symbol, "n") for ref in refs}
    return vals.pop() if len(vals) == 1 else None


def check(built, fragment, refs):
    """Yield (symbol, ours, debian, verdict) for one fragment."""
    for symbol, explained in fragment_lines(fragment):
        ours = built.get(symbol, "n")
        theirs = reference_value(symbol, refs)
        same = theirs is not None and ours == theirs
        if same and explained:
            verdict = "STALE"
        elif same:
            verdict = "same"
        elif explained:
            verdict = "explained"
        else:
            verdict = "DIFFERS"
        shown = theirs if theirs is not None else "/".join(
            ref.get(symbol, "n") for ref in refs)
        yield symbol, ours, shown, verdict


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().split("\n\n")[2], file=sys.stderr)
        return 2
    built = parse_config(argv[1])
    bad = 0
    for arg in argv[2:]:
        fragment, _, refpaths = arg.partition("=")
        refs = [parse_config(p) for p in refpaths.split(",") if p]
        if not refs:
            print(f"no reference for {fragment}", file=sys.stderr)
            return 2
        print(f"# {fragment} against {refpaths}")
        for symbol, ours, theirs, verdict in check(built, fragment, refs):
            print(f"{verdict:9} {symbol}={ours} (Debian: {theirs})")
            bad += verdict in ("DIFFERS", "STALE")
    if bad:
        print(f"{bad} difference(s) from Debian not explained, or "
              f"explanations of no difference (lines DIFFERS, STALE)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
