# SPDX-License-Identifier: GPL-2.0
"""The markdown tables of ab-report.py and compare.py."""


def table(header, body):
    """A markdown table; also readable on a terminal."""
    widths = [max(len(str(r[i])) for r in [header] + body)
              for i in range(len(header))]

    def line(r):
        return "| " + " | ".join(str(c).ljust(w)
                                 for c, w in zip(r, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep] + [line(r) for r in body])
