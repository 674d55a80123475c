# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/report-extract.py on a small made-up report."""

import unittest

from helpers import load_script

rx = load_script("report-extract.py")

REPORT = """# membarrier-alt A/B report: x86_64

> caveat

| fact | value |
|------|-------|
| commit | abc1234 |

## Latency per call

### PRIVATE_EXPEDITED

| a |
|---|

### GLOBAL_EXPEDITED

| b |
|---|

## Store buffering against a kthread_use_mm() writer

| c |
|---|

## Raw data
""".splitlines()


class ExtractTest(unittest.TestCase):
    def test_header_is_the_title_and_facts(self):
        h = rx.header(REPORT)
        self.assertEqual(h[0], "# membarrier-alt A/B report: x86_64")
        self.assertIn("| commit | abc1234 |", h)
        self.assertFalse(any(line.startswith("## ") for line in h))

    def test_section_stops_at_same_level(self):
        s = rx.section(REPORT, "Store buffering")
        self.assertEqual(s[0],
                         "## Store buffering against a kthread_use_mm() "
                         "writer")
        self.assertIn("| c |", s)
        self.assertNotIn("## Raw data", s)

    def test_section_keeps_its_subsections(self):
        s = rx.section(REPORT, "Latency")
        self.assertIn("### GLOBAL_EXPEDITED", s)
        self.assertNotIn("| c |", s)

    def test_subsection_stops_at_sibling(self):
        s = rx.section(REPORT, "PRIVATE_EXPEDITED")
        self.assertIn("| a |", s)
        self.assertNotIn("| b |", s)

    def test_title_is_not_a_section(self):
        self.assertIsNone(rx.section(REPORT, "membarrier-alt"))

    def test_missing_section(self):
        self.assertIsNone(rx.section(REPORT, "Nope"))


if __name__ == "__main__":
    unittest.main()
