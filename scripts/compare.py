#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Set two `make ab` runs side by side.

usage: compare.py [-h] [--differing] [--strict] A B

A and B are results directories written by scripts/ab-report.py (or the
report.json files in them): two commits, two arches, a run with and one
without PROPOSED=1.  Prints the facts of both runs, then section by section
the figures of both, with B/A for times and ratios or B-A for counts, and
each row's verdict in both runs, marked "<>" where they differ; a last
line counts the differing verdicts.  A row only one run has shows '-' on
the other side, and where its section has verdicts, counts as differing.

The verdicts: the budgets' ("within", "OVER", ...), the oracle's test
("ok", "not ok"), litmus (forbidden outcomes seen or not), and for the
latency ratios how the per-turn 95% interval stands against 1 ("~1" when
it holds 1, the report's '~', else "<1" or ">1").

Exit status: 0, or 1 with --strict when a verdict differs, 2 on bad
usage or a missing report.json.  Standard library only.
"""

import argparse
import json
import os
import sys

from mdtable import table

MARK = "<>"

FACTS = ["arch", "kernel", "machine", "series", "series_kind", "config",
         "accel", "vcpus", "host_cpus", "dmesg_clean", "rc"]


def latency_verdict(row):
    """How a latency ratio's per-turn interval stands against 1."""
    if row["impl"] == "syscall" or row["ratio"] is None:
        return None
    if row["same_as_syscall"]:
        return "~1"
    return "<1" if row["ci_high"] < 1 else ">1"


def icount_latency_rows(report):
    """The -icount latency, one row per (scenario, command,
    implementation); intree's verdict is the one against the ioctl bound
    (reports older than issue 22 have only idle rows and the verdict
    against the syscall)."""
    rows = []
    for x in (report.get("icount") or {}).get("latency") or []:
        sc = x.get("scenario", "idle")
        rows.append({"scenario": sc, "command": x["command"],
                     "impl": "syscall",
                     "instructions": x["syscall_instructions"],
                     "ratio": 1.0, "verdict": None})
        for impl, v in x["impls"].items():
            b = x["budget"] if impl == "intree" else None
            rows.append({"scenario": sc, "command": x["command"],
                         "impl": impl, "instructions": v["instructions"],
                         "ratio": v["ratio"],
                         "verdict": (b.get("bound_verdict", b["verdict"])
                                     if b else None)})
    return rows


def baseline_rows(report):
    """The BASELINE=1 comparison as one row, when it completed."""
    b = report.get("baseline")
    if not (b and b.get("complete")):
        return []
    return [{"kernel": "patched / unpatched",
             "median_ratio": b["median_ratio"],
             "min_ratio": b["min_ratio"]}]


def nested(*keys):
    """A getter of report[keys[0]][keys[1]]..., [] where any is missing."""
    def get(report):
        x = report
        for k in keys:
            x = (x or {}).get(k)
        return x or []
    return get


# Each section: title, its rows in a report, the fields that name a row,
# the figures (field, label, format, "ratio" for B/A or "delta" for B-A)
# and the row's verdict (None: the section has none).
SECTIONS = [
    ("Latency: median ratio to the syscall (IPIs per call)",
     nested("latency"), ["command", "scenario", "impl"],
     [("ratio", "ratio", ".2f", "ratio"),
      ("ipis_per_call", "IPIs/call", ".2f", "delta")],
     latency_verdict),
    ("Budget: ioctl intree median vs the syscall (at most 1.10x)",
     nested("budgets"), ["command", "scenario"],
     [("ratio", "ratio", ".3f", "ratio"),
      ("turn_ratio_median", "per turn", ".3f", "ratio")],
     lambda r: r["verdict"]),
    ("Scheduler cost, host-timed: ratio to not loaded",
     nested("pingpong"), ["phase"],
     [("median_ratio", "median ratio", ".3f", "ratio"),
      ("median_us", "median us", ".2f", "ratio")],
     None),
    ("Patches with nothing attached against unpatched (BASELINE=1)",
     baseline_rows, ["kernel"],
     [("median_ratio", "median ratio", ".3f", "ratio"),
      ("min_ratio", "min ratio", ".3f", "ratio")],
     None),
    ("Scheduler cost in instructions (-icount): ratio to not loaded",
     nested("icount", "phases"), ["phase"],
     [("ratio", "ratio", ".4f", "ratio")],
     None),
    ("Budgets in instructions (-icount)",
     nested("icount", "budgets"), ["budget"],
     [("ratio", "ratio", ".4f", "ratio")],
     lambda r: r["verdict"]),
    ("Latency per call, in instructions (-icount)",
     icount_latency_rows, ["scenario", "command", "impl"],
     [("instructions", "instructions", "d", "ratio"),
      ("ratio", "ratio", ".3f", "ratio")],
     lambda r: r["verdict"]),
    ("Concurrent targeted RSEQ",
     nested("rseq_cpu"), ["impl"],
     [("ratio_to_syscall", "vs syscall", ".2f", "ratio"),
      ("ipis_per_call", "IPIs/call", ".3f", "delta")],
     None),
    ("Store buffering against a kthread_use_mm() writer",
     nested("litmus"), ["impl"],
     [("forbidden", "forbidden", "d", "delta")],
     lambda r: "none seen" if r["forbidden"] == 0 else "seen"),
    ("SYNC_CORE violations (oracle, check kernel)",
     nested("oracle"), ["impl"],
     [("violations", "violations", "d", "delta"),
      ("per_1000_stores", "per 1000 stores", ".1f", "delta")],
     lambda r: r["test"]),
]


def load(path):
    """The report.json of a results directory, or at PATH itself."""
    if os.path.isdir(path):
        path = os.path.join(path, "report.json")
    with open(path) as f:
        return json.load(f)


def fmt(x, spec):
    """X by SPEC, '-' for None."""
    return "-" if x is None else format(x, spec)


def change(a, b, how, spec):
    """B against A: B/A for "ratio", B-A (in SPEC, signed) for "delta";
    '-' when either is missing, or A is 0 for a ratio."""
    if a is None or b is None:
        return "-"
    if how == "ratio":
        return f"{b / a:.3f}" if a else "-"
    return format(b - a, "+" + spec)


def pair_rows(rows_a, rows_b, keys):
    """The rows of both runs, matched on KEYS: (key, row of A or None, row
    of B or None), A's order first, then B's own."""
    a = {tuple(r[k] for k in keys): r for r in rows_a}
    b = {tuple(r[k] for k in keys): r for r in rows_b}
    order = list(a) + [k for k in b if k not in a]
    return [(k, a.get(k), b.get(k)) for k in order]


def section_table(section, ra, rb, differing=False):
    """One section's table, and how many of its verdicts differ; (None, 0)
    when neither run has rows for it."""
    _title, get, keys, figures, verdict = section
    pairs = pair_rows(get(ra), get(rb), keys)
    if not pairs:
        return None, 0
    header = list(keys)
    for _field, label, _spec, how in figures:
        header += [f"{label} A", f"{label} B",
                   "B/A" if how == "ratio" else "B-A"]
    if verdict:
        header += ["verdict A", "verdict B", ""]
    body, ndiff = [], 0
    for key, a, b in pairs:
        row = list(key)
        for field, _label, spec, how in figures:
            va = a.get(field) if a else None
            vb = b.get(field) if b else None
            row += [fmt(va, spec), fmt(vb, spec), change(va, vb, how, spec)]
        diff = False
        if verdict:
            da = verdict(a) if a else None
            db = verdict(b) if b else None
            diff = da != db
            ndiff += diff
            row += [da or "-", db or "-", MARK if diff else ""]
        if diff or not differing:
            body.append(row)
    return (table(header, body) if body else None), ndiff


def show_fact(x):
    """A fact as the facts table shows it."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return x


def facts_table(ra, rb):
    """The two runs' facts, marked where they differ."""
    body = []
    for k in FACTS:
        a, b = ra["meta"].get(k), rb["meta"].get(k)
        body.append([k, show_fact(a), show_fact(b), MARK if a != b else ""])
    return table(["fact", "A", "B", ""], body)


def compare(ra, rb, name_a, name_b, differing=False):
    """The comparison as text, and how many verdicts differ."""
    out = [f"# A/B runs compared: A = {name_a}, B = {name_b}", "",
           facts_table(ra, rb)]
    total = 0
    for section in SECTIONS:
        text, ndiff = section_table(section, ra, rb, differing)
        total += ndiff
        if text:
            out += ["", f"## {section[0]}", "", text]
    out += ["", f"{total} verdict{'s' if total != 1 else ''} differ"
                f"{'s' if total == 1 else ''} between A and B."]
    return "\n".join(out) + "\n", total


def parse_args(argv=None):
    """The command line: A B [--differing] [--strict]."""
    p = argparse.ArgumentParser(
        prog="compare.py",
        description="Set the report.json of two `make ab` runs side by "
                    "side: figures, B/A or B-A, and verdicts, marked "
                    f"{MARK!r} where they differ.")
    p.add_argument("a", metavar="A",
                   help="results directory (or report.json) of run A")
    p.add_argument("b", metavar="B",
                   help="results directory (or report.json) of run B")
    p.add_argument("--differing", action="store_true",
                   help="list only the rows whose verdicts differ (the "
                        "facts are always listed)")
    p.add_argument("--strict", action="store_true",
                   help="exit with status 1 when a verdict differs")
    return p, p.parse_args(argv)


def main(argv=None):
    """Load both reports, print the comparison."""
    parser, args = parse_args(argv)
    reports = []
    for path in (args.a, args.b):
        try:
            reports.append(load(path))
        except (OSError, ValueError) as err:
            parser.error(f"cannot read the report of {path}: {err}")
    text, ndiff = compare(reports[0], reports[1], args.a, args.b,
                          args.differing)
    sys.stdout.write(text)
    if args.strict and ndiff:
        sys.exit(1)


if __name__ == "__main__":
    main()
