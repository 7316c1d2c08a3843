"""What every benchmark prints: sections with a Markdown table, targets and notes; small statistics.

    section = Section("(a) ingest", ["server", "req/s"])
    section.rows.append(["echo", "5000"])
    section.targets.append(("req/s > 1000", True))
    print(section.render())
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any


# -- small statistics ------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, wall time): to see what else was running."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts) - idle) / os.sysconf("SC_CLK_TCK"), time.monotonic()


@dataclass
class Section:
    """One benchmark's figures: rows for the table, and whether each target is met."""

    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    targets: list[tuple[str, bool | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) for i, h in enumerate(self.header)]

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

        out = [f"### {self.title}", "", line(self.header),
               "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [line(r) for r in self.rows]
        out.append("")
        for what, met in self.targets:
            verdict = "n/a (quick mode)" if met is None else "MET" if met else "MISSED"
            out.append(f"- target: {what}: **{verdict}**")
        out += [f"- {note}" for note in self.notes]
        return "\n".join(out) + "\n"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
