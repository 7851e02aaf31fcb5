"""The benchmark's one table: a row per figure, printed together at the end."""

import statistics
from dataclasses import dataclass


class BenchFailed(Exception):
    """A measured step did not do what it measures (a page answered an error, a draw does not
    verify): its figure would mean nothing, so the benchmark stops."""


@dataclass
class Row:
    what: str
    value: str
    unit: str
    note: str = ""


def median_and_p95(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))
    ]


def table_print(rows: list[Row]) -> None:
    width = max(len(r.what) for r in rows)
    print(f"{'benchmark':<{width}}  {'value':>10}  unit         note")
    for r in rows:
        print(f"{r.what:<{width}}  {r.value:>10}  {r.unit:<11}  {r.note}")
