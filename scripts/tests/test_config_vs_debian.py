# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/config-vs-debian.py on made-up configs."""

import contextlib
import os
import tempfile
import unittest

from helpers import load_script

cvd = load_script("config-vs-debian.py")

FRAGMENT = """# A fragment.
CONFIG_SAME=y
CONFIG_OFF=n
# not as Debian: we cannot build it.
CONFIG_EXPLAINED=n

# not as Debian: but it is the same.
CONFIG_STALE=y
CONFIG_DIFFERS=250
# An ordinary comment does not explain.
CONFIG_ALSO_DIFFERS=y
"""

BUILT = """CONFIG_SAME=y
# CONFIG_OFF is not set
# CONFIG_EXPLAINED is not set
CONFIG_STALE=y
CONFIG_DIFFERS=250
CONFIG_ALSO_DIFFERS=y
"""

DEBIAN = """CONFIG_SAME=y
CONFIG_EXPLAINED=y
CONFIG_STALE=y
CONFIG_DIFFERS=1000
"""


class CheckTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def verdicts(self, refs):
        frag = self.write("frag", FRAGMENT)
        built = cvd.parse_config(self.write("built", BUILT))
        paths = [self.write(f"ref{i}", r) for i, r in enumerate(refs)]
        return {s: (ours, theirs, v) for s, ours, theirs, v in
                cvd.check(built, frag, [cvd.parse_config(p) for p in paths])}

    def test_each_verdict(self):
        v = self.verdicts([DEBIAN])
        self.assertEqual(v["CONFIG_SAME"], ("y", "y", "same"))
        # Absent from Debian's config counts as "n".
        self.assertEqual(v["CONFIG_OFF"], ("n", "n", "same"))
        self.assertEqual(v["CONFIG_EXPLAINED"], ("n", "y", "explained"))
        self.assertEqual(v["CONFIG_STALE"], ("y", "y", "STALE"))
        self.assertEqual(v["CONFIG_DIFFERS"], ("250", "1000", "DIFFERS"))
        self.assertEqual(v["CONFIG_ALSO_DIFFERS"], ("y", "n", "DIFFERS"))

    def test_references_that_disagree_need_an_explanation(self):
        v = self.verdicts([DEBIAN, "CONFIG_SAME=n\n"])
        self.assertEqual(v["CONFIG_SAME"], ("y", "y/n", "DIFFERS"))
        # Where they agree, as if there were one.
        self.assertEqual(v["CONFIG_OFF"][2], "same")

    def test_main_fails_on_a_difference_and_passes_without(self):
        frag = self.write("f", "CONFIG_A=y\n")
        built = self.write("b", "CONFIG_A=y\n")
        good = self.write("g", "CONFIG_A=y\n")
        bad = self.write("x", "# CONFIG_A is not set\n")
        with open(os.devnull, "w", encoding="utf-8") as null:
            with contextlib.redirect_stdout(null), \
                    contextlib.redirect_stderr(null):
                self.assertEqual(cvd.main(["cvd", built, f"{frag}={good}"]),
                                 0)
                self.assertEqual(cvd.main(["cvd", built, f"{frag}={bad}"]),
                                 1)


if __name__ == "__main__":
    unittest.main()
