#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print sections of a make ab report.md, for docs/findings/data/.

A finding commits the tables its figures come from, not the whole results
directory.  This prints the report's title and facts table (which name the
commit, kernel, config and accelerator), then each section whose heading
starts with one of the given prefixes, with everything under it up to the
next heading of the same or a higher level.

    scripts/report-extract.py results/x86_64-<time>/report.md \\
        "Scheduler cost in instructions" "Store buffering" > extract.md
"""

import argparse
import re
import sys

HEADING = re.compile(r"^(#+) (.*)$")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("report", help="a report.md of make ab")
    p.add_argument("prefixes", nargs="+", metavar="HEADING",
                   help="the start of a section's heading")
    return p.parse_args(argv)


def header(lines):
    """The title and the facts table: everything before the first '## '."""
    out = []
    for line in lines:
        if line.startswith("## "):
            break
        out.append(line)
    return out


def section(lines, prefix):
    """The section whose heading starts with prefix, or None."""
    for i, line in enumerate(lines):
        m = HEADING.match(line)
        if m and len(m.group(1)) > 1 and m.group(2).startswith(prefix):
            level = len(m.group(1))
            out = [line]
            for rest in lines[i + 1:]:
                n = HEADING.match(rest)
                if n and len(n.group(1)) <= level:
                    break
                out.append(rest)
            return out
    return None


def main(argv):
    args = parse_args(argv)
    with open(args.report) as f:
        lines = f.read().splitlines()
    out = header(lines)
    for prefix in args.prefixes:
        s = section(lines, prefix)
        if s is None:
            sys.exit(f"{args.report}: no section starting with '{prefix}'")
        out.extend(s)
    print("\n".join(out).rstrip("\n"))


if __name__ == "__main__":
    main(sys.argv[1:])
