# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/compare.py: two results directories of ab-report.py,
the second one's report.json edited to change a figure and some
verdicts."""

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

from helpers import (SCRIPTS, fixture, full_facts, load_script, md_table,
                     run_main)

ab = load_script("ab-report.py")
cmp_ = load_script("compare.py")


class CompareTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.a = os.path.join(cls.tmp.name, "a")
        cls.b = os.path.join(cls.tmp.name, "b")
        status, _o, err = run_main(
            ab, ["--no-plot", fixture("guest.log"), cls.a] + full_facts())
        assert status == 0, err
        with open(os.path.join(cls.a, "report.json")) as f:
            cls.ra = json.load(f)
        rb = copy.deepcopy(cls.ra)
        rb["meta"]["arch"] = "arm64"
        rb["budgets"][0].update(ratio=1.2 * 1.052, verdict="OVER")
        rb["oracle"][1].update(violations=0, test="ok")
        rb["pingpong"][1]["median_ratio"] = 1.015 * 2
        rb["litmus"] = rb["litmus"][1:]         # no 'none' row in B
        os.makedirs(cls.b)
        with open(os.path.join(cls.b, "report.json"), "w") as f:
            json.dump(rb, f)
        cls.rb = rb

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_compare(self, *args):
        status, out, err = run_main(cmp_, list(args))
        self.assertIn(status, (0, 1), err)
        return status, out

    def test_same_run(self):
        status, out = self.run_compare("--strict", self.a, self.a)
        self.assertEqual(status, 0)
        self.assertNotIn(cmp_.MARK, out)
        self.assertTrue(out.rstrip().endswith(
            "0 verdicts differ between A and B."))

    def test_facts(self):
        _s, out = self.run_compare(self.a, self.b)
        rows = {r[0]: r[1:] for r in md_table(out, "| fact")}
        self.assertEqual(rows["arch"], ["x86_64", "arm64", cmp_.MARK])
        self.assertEqual(rows["kernel"], ["7.3.0-mba", "7.3.0-mba", ""])
        self.assertEqual(rows["dmesg_clean"], ["yes", "yes", ""])

    def test_budget_verdict_differs(self):
        _s, out = self.run_compare(self.a, self.b)
        rows = md_table(out, "## Budget: ioctl intree median vs the syscall "
                             "(at most 1.10x)")
        self.assertEqual(rows[0][:5], ["PRIVATE_EXPEDITED", "idle", "1.052",
                                       "1.262", "1.200"])
        self.assertEqual(rows[0][-3:], ["within", "OVER", cmp_.MARK])
        self.assertEqual(rows[1][-1], "")

    def test_figures_ratio_and_delta(self):
        _s, out = self.run_compare(self.a, self.b)
        rows = md_table(out, "## Scheduler cost, host-timed: ratio to not "
                             "loaded")
        self.assertEqual(rows[1][:4], ["loaded", "1.015", "2.030", "2.000"])
        rows = md_table(out, "## SYNC_CORE violations (oracle, check "
                             "kernel)")
        self.assertEqual(rows[1][:4], ["intree", "8", "0", "-8"])
        self.assertEqual(rows[1][-3:], ["not ok", "ok", cmp_.MARK])

    def test_row_in_one_run_only(self):
        _s, out = self.run_compare(self.a, self.b)
        rows = md_table(out, "## Store buffering against a "
                             "kthread_use_mm() writer")
        self.assertEqual(rows[0], ["none", "17", "-", "-", "seen", "-",
                                   cmp_.MARK])

    def test_latency_verdicts(self):
        _s, out = self.run_compare(self.a, self.a)
        rows = md_table(out, "## Latency: median ratio to the syscall "
                             "(IPIs per call)")
        got = {(r[0], r[1], r[2]): r[-3] for r in rows}
        self.assertEqual(got[("PRIVATE_EXPEDITED", "idle", "intree")], ">1")
        self.assertEqual(got[("PRIVATE_EXPEDITED", "idle", "idle-filter")],
                         "~1")
        self.assertEqual(got[("PRIVATE_EXPEDITED", "idle", "mm-cid-mb")],
                         "<1")
        self.assertEqual(got[("PRIVATE_EXPEDITED", "idle", "syscall")], "-")

    def test_count_and_strict(self):
        status, out = self.run_compare("--strict", self.a,
                                       os.path.join(self.b, "report.json"))
        self.assertEqual(status, 1)
        self.assertTrue(out.rstrip().endswith(
            "3 verdicts differ between A and B."))

    def test_differing_only(self):
        _s, out = self.run_compare("--differing", self.a, self.b)
        rows = md_table(out, "## Budget: ioctl intree median vs the syscall "
                             "(at most 1.10x)")
        self.assertEqual(len(rows), 1)
        self.assertNotIn("## Latency: median ratio", out)
        self.assertNotIn("## Scheduler cost, host-timed", out)

    def test_missing_sections(self):
        """A report without the optional sections (no extra logs)."""
        rb = copy.deepcopy(self.ra)
        rb.update(icount=None, baseline=None, oracle=None)
        _s, out = self.run_compare(self.a, self.write(rb))
        rows = md_table(out, "## Budgets in instructions (-icount)")
        self.assertEqual([r[-3:] for r in rows],
                         [["OVER", "-", cmp_.MARK]] * 3)

    def write(self, report):
        path = os.path.join(self.tmp.name, f"r{id(report)}.json")
        with open(path, "w") as f:
            json.dump(report, f)
        return path

    def test_missing_report(self):
        status, _o, err = run_main(cmp_, [self.a, self.tmp.name])
        self.assertEqual(status, 2)
        self.assertIn("cannot read the report", err)

    def test_help(self):
        p = subprocess.run([sys.executable,
                            os.path.join(SCRIPTS, "compare.py"), "--help"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        for word in ("A", "B", "--differing", "--strict"):
            self.assertIn(word, p.stdout)


if __name__ == "__main__":
    unittest.main()
