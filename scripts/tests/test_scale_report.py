# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/scale-report.py on made-up guest logs."""

import contextlib
import io
import json
import os
import tempfile
import unittest

from helpers import load_script

sr = load_script("scale-report.py")


def log(n, per_cpu):
    """A guest log with N CPUs: instructions = base + PER_CPU[impl] * N."""
    lines = ["boot noise", "# MBA-AB-BEGIN", "meta,vcpus,%d" % n]
    for cmd in ("PRIVATE_EXPEDITED", "GLOBAL_EXPEDITED"):
        for sc in ("idle", "own-threads"):
            for impl, (base, b) in per_cpu.items():
                med = base + b * n
                lines.append(f"latency,{sc},{cmd},{impl},200,{med},"
                             f"{med + 10},0.000,0.000,-1.000")
    lines.append("# MBA-AB-END rc=0")
    return "\n".join(lines) + "\n"


class ScaleTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def run_report(self, per_cpu):
        args = ["scale-report.py", self.dir.name, "arch=x86_64"]
        for n in (4, 16, 64):
            path = os.path.join(self.dir.name, f"cpus-{n}.log")
            with open(path, "w") as f:
                f.write(log(n, per_cpu))
            args.append(f"{n}={path}")
        with contextlib.redirect_stdout(io.StringIO()):
            rc = sr.main(args)
        with open(os.path.join(self.dir.name, "scale.json")) as f:
            return rc, json.load(f)

    def test_fit_recovers_the_increment(self):
        self.assertEqual(sr.fit([(4, 108), (16, 132), (64, 228)]),
                         {"a": 100.0, "b": 2.0})
        self.assertEqual(sr.fit([(4, 1)]), {"a": None, "b": None})

    def test_budget_verdicts(self):
        rc, j = self.run_report({"syscall": (500, 10),
                                 "intree": (1000, 11),
                                 "idle-filter": (1000, 20)})
        self.assertEqual(rc, 0)
        self.assertEqual(j["counts"], [4, 16, 64])
        self.assertEqual(len(j["rows"]), 2 * 2 * 3)
        verdicts = {b["scenario"]: b["verdict"] for b in j["budgets"]}
        self.assertEqual(verdicts["idle"], "within")
        # own-threads counts TCG's round robin: never judged.
        self.assertTrue(verdicts["own-threads"].startswith("not judged"))
        self.assertAlmostEqual(j["budgets"][0]["ratio"], 1.1)
        rc, j = self.run_report({"syscall": (500, 10),
                                 "intree": (1000, 13),
                                 "idle-filter": (1000, 20)})
        self.assertEqual({b["verdict"] for b in j["budgets"]
                          if b["scenario"] == "idle"}, {"OVER"})
        self.assertAlmostEqual(j["budgets"][0]["last_ratio"], 1.3)


if __name__ == "__main__":
    unittest.main()
