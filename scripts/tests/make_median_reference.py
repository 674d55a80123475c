#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write fixtures/median_interval_scipy.json: reference intervals for the
median from scipy.stats.quantile_test, which test_ab_report.py checks
ab-report.py's median_interval() against without scipy.

usage: PYTHONPATH=<a scipy install> python3 make_median_reference.py

Needs scipy >= 1.12 (quantile_test); the tests do not.  Seeded: a second
run writes the same file.  One case per (level, m) for m = 1..40 at the
levels 0.90, 0.95 and 0.99, and a few larger m at 0.95; even m draw
integers from a narrow range (turn medians in ns, with ties), odd m ratios
rounded to 4 decimals.
"""

import json
import os
import random

import scipy
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                   "median_interval_scipy.json")


def sample(rng, m):
    """M values: integers with ties for even M, ratios for odd M."""
    if m % 2 == 0:
        return [rng.randint(990, 1010) for _ in range(m)]
    return [round(rng.uniform(0.8, 1.4), 4) for _ in range(m)]


def reference(xs, level):
    """scipy's interval for the median of XS at LEVEL; None for NaN."""
    ci = stats.quantile_test(xs, q=0, p=0.5).confidence_interval(level)
    return [None if v != v else float(v) for v in (ci.low, ci.high)]


def main():
    rng = random.Random(21)
    cases = []
    for level in (0.90, 0.95, 0.99):
        for m in range(1, 41):
            cases.append((level, sample(rng, m)))
    for m in (60, 101, 150):
        cases.append((0.95, sample(rng, m)))
    doc = {"comment": "Reference intervals for the median, from "
                      f"scipy.stats.quantile_test (scipy {scipy.__version__})"
                      ": written by scripts/tests/make_median_reference.py, "
                      "checked by test_ab_report.py. lo/hi null: scipy has "
                      "no interval (too few samples).",
           "cases": []}
    for level, xs in cases:
        lo, hi = reference(xs, level)
        doc["cases"].append({"level": level, "samples": xs, "lo": lo,
                             "hi": hi})
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
