#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the counts of `make profile` into a per-function report.

usage: profile-report.py OUT_DIR [key=value ...]

Reads OUT_DIR/counts ("<phase> <address> <count>" lines from
tools/qemu-iprof.c) and OUT_DIR/guest.log (the "profile,..." rows of
`membarrier_alt_bench profile`, which name the phases, then
/proc/kallsyms), writes OUT_DIR/profile.md and prints it.  The key=value
pairs are host facts for the report.  Rust symbols are demangled with
llvm-cxxfilt when $LLVM_CXXFILT names it.  Standard library only.
"""

import bisect
import collections
import os
import re
import subprocess
import sys

IMPLS = ["syscall", "intree", "idle-filter", "lazy-tlb-sync", "mm-cid-mb"]
FLOORS = ["syscall-einval", "ioctl-einval", "ioctl-enotty"]
# A function is listed when it costs at least this much per call in some
# column; the rest is summed in one row.
MIN_SHOWN = 1.0

PHASE = re.compile(r"^profile,(\d+),([A-Z_a-z]+),([a-z-]+),(\d+)$")
KSYM = re.compile(r"^([0-9a-f]{8,16}) [tTwW] (\S+)(?:\s+\[(\S+)\])?$")


def read_guest_log(path):
    """The phases, {phase: (cmd, impl, calls)}, and the sorted text symbols."""
    phases, syms = {}, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            m = PHASE.match(line)
            if m:
                phases[int(m.group(1))] = (m.group(2), m.group(3),
                                           int(m.group(4)))
                continue
            m = KSYM.match(line)
            if m:
                name = m.group(2)
                if m.group(3):
                    name += " [" + m.group(3) + "]"
                syms.append((int(m.group(1), 16), name))
    syms.sort()
    return phases, syms


def demangle(names):
    tool = os.environ.get("LLVM_CXXFILT")
    if not tool or not names:
        return {n: n for n in names}
    plain = [n.split(" [")[0] for n in names]
    out = subprocess.run([tool], input="\n".join(plain), capture_output=True,
                         text=True, check=True).stdout.splitlines()
    return {n: d + n[len(p):] for n, p, d in zip(names, plain, out)}


def per_function(path, syms, phases):
    """{phase: Counter(function -> instructions executed)}."""
    addrs = [a for a, _ in syms]
    counts = collections.defaultdict(collections.Counter)
    with open(path) as f:
        for line in f:
            phase, pc, n = line.split()
            phase = int(phase)
            if phase not in phases:
                continue
            i = bisect.bisect_right(addrs, int(pc, 16)) - 1
            counts[phase][syms[i][1] if i >= 0 else "?"] += int(n)
    return counts


def table(title, cols, per_call, names, changes_only=False):
    """Markdown lines: functions by instructions per call, one column each.

    With changes_only, list only the functions whose count differs from
    the first column's, by how much it differs."""
    funcs = collections.Counter()
    for col in cols:
        for fn, v in per_call[col].items():
            if changes_only:
                v = abs(v - per_call[cols[0]].get(fn, 0))
            funcs[fn] = max(funcs[fn], v)
    shown = [fn for fn, v in funcs.most_common() if v >= MIN_SHOWN]
    lines = [f"### {title}", "",
             "| function | " + " | ".join(cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for fn in shown:
        cells = [f"{per_call[c].get(fn, 0):.1f}" for c in cols]
        lines.append(f"| `{names[fn]}` | " + " | ".join(cells) + " |")
    rest = [sum(v for fn, v in per_call[c].items() if fn not in shown)
            for c in cols]
    lines.append("| (all other functions) | " +
                 " | ".join(f"{v:.1f}" for v in rest) + " |")
    totals = [sum(per_call[c].values()) for c in cols]
    lines.append("| **total** | " +
                 " | ".join(f"**{v:.0f}**" for v in totals) + " |")
    lines.append("")
    return lines, dict(zip(cols, totals))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    meta = dict(a.split("=", 1) for a in sys.argv[2:])
    phases, syms = read_guest_log(os.path.join(out, "guest.log"))
    if not phases or not syms:
        sys.exit(f"profile-report: no profile rows or symbols in "
                 f"{out}/guest.log")
    if syms[-1][0] == 0:
        sys.exit("profile-report: /proc/kallsyms hid its addresses "
                 "(kptr_restrict)")
    counts = per_function(os.path.join(out, "counts"), syms, phases)
    names = demangle(sorted({fn for c in counts.values() for fn in c}))

    # The run of no calls: what each run holds besides its calls.
    empty = [p for p, (cmd, _, _) in phases.items() if cmd == "empty"]
    base = counts[empty[0]] if empty else collections.Counter()
    # (cmd, impl) -> {function: instructions per call}
    cell = {}
    for p, (cmd, impl, calls) in phases.items():
        if cmd != "empty":
            fns = set(counts[p]) | set(base)
            cell[(cmd, impl)] = {fn: (counts[p][fn] - base[fn]) / calls
                                 for fn in fns}

    lines = [f"# Instruction profile, {meta.get('arch', '?')}", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items()]
    lines += [
        "- guest: -icount, 4 vCPUs; the commands: the caller on CPU0 with "
        "a second thread asleep, CPUs 1-3 idle; the ping-pong: two threads "
        "of a child process on CPU1, before and after hooks are attached",
        "- figures: guest kernel instructions per call, counted exactly "
        "by tools/qemu-iprof.c over each run (calls or round trips per "
        "run: " +
        ", ".join(sorted({str(c) for _, _, c in phases.values() if c})) +
        "); "
        "user-space instructions are not counted. A run of no calls "
        "(the sync(2) that ends each run) is subtracted. Housekeeping "
        "that ran during a run (timer ticks, RCU) is spread over its "
        "calls, so figures within 1 of 0 are noise.",
        ""]
    summary = ["## Totals", "",
               "| command | " + " | ".join(IMPLS) + " | intree / syscall |",
               "|---|" + "---:|" * (len(IMPLS) + 1)]
    body = []
    for cmd in dict.fromkeys(c for c, _ in cell
                             if c not in ("floor", "pingpong")):
        cols = [i for i in IMPLS if (cmd, i) in cell]
        t, totals = table(cmd, cols, {i: cell[(cmd, i)] for i in cols},
                          names)
        body += t
        ratio = totals.get("intree", 0) / totals.get("syscall", 1)
        summary.append(f"| {cmd} | " + " | ".join(
            f"{totals[i]:.0f}" if i in totals else "-" for i in IMPLS) +
            f" | {ratio:.2f}x |")
    floors = [f for f in FLOORS if ("floor", f) in cell]
    if floors:
        t, totals = table("Floors: calls rejected before any membarrier "
                          "work", floors,
                          {f: cell[("floor", f)] for f in floors}, names)
        body += t
        summary += ["", "Floors: " + ", ".join(
            f"{f} {totals[f]:.0f}" for f in floors) + "."]
    labels = [r for c, r in cell if c == "pingpong"]
    if labels:
        t, totals = table("Scheduler: instructions per ping-pong round trip "
                          f"(two context switches on CPU1), the functions "
                          f"whose count changes against {labels[0]}", labels,
                          {r: cell[("pingpong", r)] for r in labels}, names,
                          changes_only=True)
        body += t
        base = totals[labels[0]]
        summary += ["", "Ping-pong, instructions per round trip: " +
                    ", ".join(f"{r} {totals[r]:.0f} ({totals[r] - base:+.0f})"
                              for r in labels) + ". These totals also "
                    "follow the scheduler's own state from run to run (by "
                    "up to about 1%, in functions the hooks do not touch); "
                    "the rows of the hooks' functions in the table below "
                    "are their cost."]
    lines += summary + ["", "## By function", ""] + body
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "profile.md"), "w") as f:
        f.write(text)
    print(text)
    print(f"written: {out}/profile.md")


if __name__ == "__main__":
    main()
