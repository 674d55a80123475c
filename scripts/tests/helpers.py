# SPDX-License-Identifier: GPL-2.0
"""Shared by the tests of scripts/ab-report.py and scripts/compare.py:
loading the scripts (their names are no module names), the fixtures, and
running a script's main() in-process."""

import contextlib
import importlib.util
import io
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
FIXTURES = os.path.join(HERE, "fixtures")
# As when a script runs: its directory first on the path, for mdtable.
sys.path.insert(0, SCRIPTS)

_loaded = {}


def load_script(name):
    """scripts/NAME as a module, loaded once."""
    if name not in _loaded:
        mod = re.sub(r"\W", "_", os.path.splitext(name)[0])
        spec = importlib.util.spec_from_file_location(
            mod, os.path.join(SCRIPTS, name))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded[name] = module
    return _loaded[name]


def fixture(name):
    """The path of a fixture file."""
    return os.path.join(FIXTURES, name)


def full_facts(**override):
    """The host facts ab.sh passes, with every extra log, as KEY=VALUE
    arguments; OVERRIDE replaces (or, with None, drops) some."""
    facts = {
        "oracle_log": fixture("oracle.log"),
        "arch": "x86_64",
        "series": "abc123",
        "series_kind": "patches",
        "config": "bench",
        "accel": "TCG (qemu, --disable-kvm)",
        "host_cpus": "2",
        "guest_seconds": "321",
        "baseline_log": fixture("baseline.log"),
        "icount_log": fixture("icount.log"),
        "baseline_icount_log": fixture("baseline-icount.log"),
    }
    facts.update(override)
    return [f"{k}={v}" for k, v in facts.items() if v is not None]


def run_main(module, argv):
    """MODULE.main(ARGV) with its output captured: (exit status, stdout,
    stderr); a string exit status stands for 1, as with sys.exit()."""
    out, err = io.StringIO(), io.StringIO()
    status = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            module.main(argv)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
            if isinstance(e.code, str):
                err.write(e.code)
    return status, out.getvalue(), err.getvalue()


def md_table(text, heading):
    """The body of the first markdown table after the line HEADING (or
    whose header row begins with HEADING, when that begins with '|'), as
    lists of stripped cells."""
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line == heading or
             heading.startswith("|") and line.startswith(heading))
    while not lines[i].startswith("|"):
        i += 1
    rows = []
    for line in lines[i + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows
