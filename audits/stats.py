"""The arithmetic behind audit figures: Wilson intervals and LQAS decision rules.

Pure functions of integers and probabilities (``math.comb``, no scipy), so that a figure in the
monthly report can be recomputed by hand from the counts it shows.
"""

import functools
import math
from dataclasses import dataclass

#: The two-sided 95% normal quantile.
Z_95 = 1.959963984540054
#: LQAS error limits and the distance of the lower threshold below the benchmark.
LQAS_ALPHA = 0.10
LQAS_BETA = 0.10
LQAS_LOWER_GAP = 0.30


@dataclass(frozen=True)
class Rate:
    """``successes`` out of ``total`` with its 95% Wilson interval; ``total == 0`` is "no data",
    which callers show as such and never as 0%."""

    successes: int
    total: int

    @property
    def value(self) -> float | None:
        return self.successes / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.successes, self.total)


def wilson_interval(successes: int, total: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for a binomial proportion, or None when nothing was observed.

    Chosen over the normal ("Wald") interval because audit strata are small (n = 19 per grid)
    and rates sit near 100%, where Wald gives intervals past 1 or of zero width.
    """
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError(f"{successes} successes out of {total}")
    p = successes / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    # Clamp the rounding noise at the ends (e.g. 1.0000000000000002 for 19 of 19).
    return max(0.0, centre - half), min(1.0, centre + half)


def binomial_below(d: int, n: int, p: float) -> float:
    """P(X < d) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(max(0, d)))


@dataclass(frozen=True)
class LqasRule:
    """Pass a lot (a grid) when at least ``threshold`` of ``n`` sampled records are correct."""

    n: int
    benchmark: float
    threshold: int
    alpha: float  # P(fail | the grid is at the benchmark)
    beta: float  # P(pass | the grid is at benchmark - 30 points)


# Cached: a whole-city draw asks for the same rule once per grid (2,000 times), and each
# answer is a search over every threshold; the result is a frozen dataclass, safe to share.
@functools.lru_cache(maxsize=256)
def lqas_rule(n: int, benchmark: float) -> LqasRule | None:
    """The decision rule for sample size ``n`` at ``benchmark`` (a share, e.g. 0.80).

    A threshold d qualifies when alpha = P(X < d | n, benchmark) <= 0.10 (a grid that meets the
    benchmark is rarely failed) and beta = P(X >= d | n, benchmark - 0.30) <= 0.10 (a grid 30
    points below is rarely passed). When several qualify, the one with the smallest alpha + beta
    is taken (the larger on a tie); n = 19 gives 13 at 80%, 7 at 50% and 14 at 85%, the values
    of the published LQAS tables. None when no d satisfies both: the sample is too small for
    this benchmark, and the plan must not be drawn (``lqas_smallest_n`` says what would do).
    """
    if n <= 0 or not 0 < benchmark <= 1:
        return None
    lower = max(0.0, benchmark - LQAS_LOWER_GAP)
    best = None
    for d in range(n + 2):
        alpha = binomial_below(d, n, benchmark)
        beta = 1 - binomial_below(d, n, lower)
        if alpha <= LQAS_ALPHA and beta <= LQAS_BETA:
            rule = LqasRule(n=n, benchmark=benchmark, threshold=d, alpha=alpha, beta=beta)
            if best is None or alpha + beta <= best.alpha + best.beta:
                best = rule
    return best


def lqas_smallest_n(benchmark: float, *, limit: int = 200) -> int | None:
    """The smallest sample size with a decision rule at ``benchmark``, for error messages."""
    return next((n for n in range(1, limit + 1) if lqas_rule(n, benchmark)), None)
