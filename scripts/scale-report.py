#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of `make scale`: how each implementation's cost per call
grows with the number of online CPUs.

usage: scale-report.py OUT_DIR [key=value ...] N=LOG [N=LOG ...]

Each N=LOG is the guest log of an -icount boot with N CPUs online, in the
format of scripts/guest-ab.sh (parsed by ab-report.py's parse()).  The
latency rows there are median instructions per call (the -icount clock
advances one nanosecond per instruction).  For every (command, scenario,
implementation) this fits instructions = a + b * N by least squares over
the CPU counts: b is the implementation's increment per online CPU.  The
budget (issue 22): intree's increment at most BUDGET times the syscall's,
judged on the increment between the two largest counts ("at the largest
count") as well as on the fit.

Writes OUT_DIR/scale.md, OUT_DIR/scale.json (schema 1: meta, counts,
rows [{command, scenario, impl, instructions {N: n}, fit {a, b},
last_increment}], budgets [{command, scenario, syscall_b, intree_b,
ratio, last_ratio, limit, verdict}]) and OUT_DIR/scale.png when
matplotlib can be imported, and prints scale.md.
"""

import importlib.util
import json
import os
import sys

from mdtable import table

BUDGET = 1.2
# Scenarios whose -icount figures measure the emulator more than the
# implementation: with our threads spinning on the other vCPUs, a call
# waits for QEMU's one TCG thread to reach each target in its round robin,
# and the count is of every instruction all vCPUs execute meanwhile.
NOT_JUDGED = {"own-threads": "not judged: counts TCG's round robin"}
IMPLS = ["syscall", "intree", "idle-filter"]
CMDS = ["PRIVATE_EXPEDITED", "GLOBAL_EXPEDITED"]
SCENARIOS = ["idle", "own-threads"]


def load_ab_report():
    """ab-report.py as a module, for its log parser."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "ab_report", os.path.join(here, "ab-report.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fit(points):
    """Least-squares a, b of y = a + b * x over POINTS [(x, y)]; b is None
    with fewer than two distinct x."""
    n = len(points)
    xs = [x for x, _ in points]
    if n < 2 or len(set(xs)) < 2:
        return {"a": None, "b": None}
    mx = sum(xs) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return {"a": my - b * mx, "b": b}


def collect(logs, parse):
    """{(cmd, scenario, impl): {N: instructions}} from LOGS {N: path}, and
    the rc of each boot."""
    cells, rcs = {}, {}
    for n, path in sorted(logs.items()):
        rows, rc = parse(path)
        rcs[n] = rc
        for sc, cmd, impl, _n, med, *_rest in rows["latency"]:
            cells.setdefault((cmd, sc, impl), {})[n] = int(med)
    return cells, rcs


def build(cells, counts):
    """The rows and budgets of the report."""
    rows = []
    by = {}
    for cmd in CMDS:
        for sc in SCENARIOS:
            for impl in IMPLS:
                ins = cells.get((cmd, sc, impl))
                if not ins:
                    continue
                pts = sorted(ins.items())
                last = None
                if len(pts) >= 2:
                    (x0, y0), (x1, y1) = pts[-2], pts[-1]
                    last = (y1 - y0) / (x1 - x0)
                row = {"command": cmd, "scenario": sc, "impl": impl,
                       "instructions": {str(k): v for k, v in pts},
                       "fit": fit(pts), "last_increment": last}
                rows.append(row)
                by[(cmd, sc, impl)] = row
    budgets = []
    for cmd in CMDS:
        for sc in SCENARIOS:
            s, i = by.get((cmd, sc, "syscall")), by.get((cmd, sc, "intree"))
            if not s or not i or s["fit"]["b"] in (None, 0):
                continue
            ratio = i["fit"]["b"] / s["fit"]["b"]
            last = (i["last_increment"] / s["last_increment"]
                    if s["last_increment"] else None)
            worst = max(r for r in (ratio, last) if r is not None)
            budgets.append({"command": cmd, "scenario": sc,
                            "syscall_b": s["fit"]["b"],
                            "intree_b": i["fit"]["b"], "ratio": ratio,
                            "last_ratio": last, "limit": BUDGET,
                            "verdict": NOT_JUDGED.get(
                                sc, "within" if worst <= BUDGET
                                else "OVER")})
    return rows, budgets


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def markdown(meta, counts, rows, budgets):
    md = [f"# membarrier-alt: cost per call against online CPUs, "
          f"{meta.get('arch', '?')}", "",
          "> Instructions under QEMU's -icount (TCG), not hardware "
          "times: what the code paths execute, the caller's and whatever "
          "the other vCPUs execute until the call returns.", "",
          table(["fact", "value"],
                [[k, v] for k, v in sorted(meta.items())]), "",
          "## Instructions per call", "",
          "Median instructions per call at each count of online CPUs; "
          "the increment per CPU b of a least-squares fit a + b * CPUs, "
          "and the increment between the two largest counts. With our "
          "threads on the other CPUs (own-threads), a call waits for "
          "QEMU's single TCG thread to reach each target vCPU in its "
          "round robin, and the count includes every instruction the "
          "spinning vCPUs execute meanwhile: those rows measure the "
          "emulator's scheduling more than the implementation, and the "
          "budget is not judged on them.", "",
          table(["command", "scenario", "implementation"] +
                [f"{n} CPUs" for n in counts] +
                ["fit: per CPU", "last step: per CPU"],
                [[r["command"], r["scenario"], r["impl"]] +
                 [r["instructions"].get(str(n), "-") for n in counts] +
                 [fmt(r["fit"]["b"], ".1f"),
                  fmt(r["last_increment"], ".1f")] for r in rows]),
          "", f"## Budget: intree's increment per CPU at most {BUDGET}x "
          "the syscall's", "",
          table(["command", "scenario", "syscall per CPU",
                 "intree per CPU", "ratio (fit)", "ratio (last step)",
                 "verdict"],
                [[b["command"], b["scenario"], f"{b['syscall_b']:.1f}",
                  f"{b['intree_b']:.1f}", f"{b['ratio']:.3f}",
                  fmt(b["last_ratio"], ".3f"), b["verdict"]]
                 for b in budgets])]
    return "\n".join(md) + "\n"


def plot(path, meta, counts, rows):
    """Instructions per call against CPUs, one panel per (command,
    scenario); nothing without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(len(CMDS), len(SCENARIOS),
                             figsize=(11, 8), squeeze=False)
    for i, cmd in enumerate(CMDS):
        for j, sc in enumerate(SCENARIOS):
            ax = axes[i][j]
            for r in rows:
                if r["command"] != cmd or r["scenario"] != sc:
                    continue
                pts = sorted((int(k), v)
                             for k, v in r["instructions"].items())
                ax.plot([p[0] for p in pts], [p[1] for p in pts],
                        marker="o", label=r["impl"])
            ax.set_title(f"{cmd}, {sc}", fontsize=9)
            ax.set_xlabel("online CPUs")
            ax.set_ylabel("instructions per call")
            ax.set_xticks(counts)
            ax.legend(fontsize=8)
    fig.suptitle(f"membarrier-alt: cost against CPUs, "
                 f"{meta.get('arch', '?')} (-icount, TCG)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    out, meta, logs = argv[1], {}, {}
    for arg in argv[2:]:
        k, _, v = arg.partition("=")
        if k.isdigit():
            logs[int(k)] = v
        else:
            meta[k] = v
    cells, rcs = collect(logs, load_ab_report().parse)
    counts = sorted(logs)
    rows, budgets = build(cells, counts)
    md = markdown(meta, counts, rows, budgets)
    with open(os.path.join(out, "scale.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, "scale.json"), "w") as f:
        json.dump({"schema": 1, "meta": meta, "counts": counts,
                   "rc": {str(k): v for k, v in rcs.items()},
                   "rows": rows, "budgets": budgets}, f, indent=1)
    plot(os.path.join(out, "scale.png"), meta, counts, rows)
    print(md)
    bad = [n for n, rc in rcs.items() if rc != 0]
    if bad:
        print(f"boots with {', '.join(map(str, bad))} CPUs did not "
              "complete cleanly", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
