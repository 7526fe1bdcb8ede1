"""A/B results of SPEC §12: conversion rates per split branch, uplift, the 95 % interval
and p-value of a two-proportion z-test, and a chi-squared test over more than two branches.

Pure functions with no SciPy: the normal CDF from ``math.erf``, the chi-squared survival
function from the regularized incomplete gamma function (series and continued fraction,
as in Numerical Recipes §6.2). Rates, uplift, interval and p-value are fractions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the normal quantile of 0.975
MIN_EXPECTED = 5  # under this expected count, the tests' approximations do not hold
NOT_ENOUGH_DATA = "not enough data"
_EPS = 1e-15
_MAX_ITER = 500


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a), the upper regularized incomplete gamma function."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x <= 0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:  # the series for P converges fast here
        term = total = 1.0 / a
        n = a
        for _ in range(_MAX_ITER):
            n += 1.0
            term *= x / n
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    # Lentz's continued fraction for Q.
    b = x + 1.0 - a
    c = 1.0 / 1e-300
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return min(1.0, math.exp(log_front) * h)


def chi_squared_sf(statistic: float, dof: int) -> float:
    """P(X ≥ statistic) for a chi-squared variable with ``dof`` degrees of freedom."""
    return regularized_gamma_q(dof / 2.0, statistic / 2.0)


@dataclass(frozen=True)
class Comparison:
    """One branch against the baseline: the difference of rates, its 95 % interval
    (unpooled standard error) and the two-sided p-value (pooled standard error)."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float


def two_proportions(conv: int, runs: int, base_conv: int, base_runs: int) -> Comparison:
    """The two-proportion z-test of ``conv/runs`` against ``base_conv/base_runs``."""
    rate, base = conv / runs, base_conv / base_runs
    diff = rate - base
    spread = math.sqrt(rate * (1 - rate) / runs + base * (1 - base) / base_runs)
    pooled = (conv + base_conv) / (runs + base_runs)
    se = math.sqrt(pooled * (1 - pooled) * (1 / runs + 1 / base_runs))
    p_value = 1.0 if se == 0 else 2.0 * (1.0 - normal_cdf(abs(diff) / se))
    return Comparison(diff, diff - Z_95 * spread, diff + Z_95 * spread, min(1.0, p_value))


def rate_interval(conv: int, runs: int) -> tuple[float, float] | None:
    """A branch's own 95 % interval of its rate (Wald, kept within 0 and 1), for the
    chart's error bars; None without runs."""
    if runs <= 0:
        return None
    rate = conv / runs
    half = Z_95 * math.sqrt(rate * (1 - rate) / runs)
    return max(0.0, rate - half), min(1.0, rate + half)


def enough_data(counts: list[tuple[int, int]]) -> bool:
    """Whether every expected count of the branches × (converted, not) table is ≥ 5."""
    runs = sum(n for _, n in counts)
    conversions = sum(c for c, _ in counts)
    if len(counts) < 2 or runs == 0 or any(n == 0 for _, n in counts):
        return False
    for _, n in counts:
        for column in (conversions, runs - conversions):
            if n * column / runs < MIN_EXPECTED:
                return False
    return True


def chi_squared(counts: list[tuple[int, int]]) -> tuple[float, int, float]:
    """(statistic, degrees of freedom, p-value) of independence of branch and conversion,
    for ``counts`` = [(conversions, runs)] per branch."""
    runs = sum(n for _, n in counts)
    conversions = sum(c for c, _ in counts)
    statistic = 0.0
    for conv, n in counts:
        for observed, column in ((conv, conversions), (n - conv, runs - conversions)):
            expected = n * column / runs
            if expected > 0:
                statistic += (observed - expected) ** 2 / expected
    dof = len(counts) - 1
    return statistic, dof, chi_squared_sf(statistic, dof)


@dataclass(frozen=True)
class BranchCounts:
    """What the store counted for one branch of a split."""

    split: str
    branch: int
    label: str
    holdout: bool
    runs: int
    conversions: int


@dataclass(frozen=True)
class BranchResult:
    split: str
    branch: int
    label: str
    holdout: bool
    runs: int
    conversions: int
    rate: float | None
    uplift: float | None  # None for the baseline, or when the baseline's rate is 0
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    baseline: bool

    def to_json(self) -> dict[str, object]:
        return {"split": self.split, "branch": self.branch, "label": self.label,
                "runs": self.runs, "conversions": self.conversions, "rate": self.rate,
                "uplift": self.uplift, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "p_value": self.p_value}


@dataclass(frozen=True)
class SplitResult:
    """A split's branches compared; ``enough`` False means "not enough data" (the
    interval and p-values are then None); ``chi_p`` for more than two branches."""

    split: str
    branches: list[BranchResult]
    enough: bool
    chi_statistic: float | None = None
    chi_p: float | None = None


def baseline_index(branches: list[BranchCounts]) -> int:
    """The holdout branch, else the first."""
    return next((i for i, b in enumerate(branches) if b.holdout), 0)


def compare_split(branches: list[BranchCounts]) -> SplitResult:
    """Rates, uplift against the baseline, and the tests, for one split's branches."""
    split = branches[0].split if branches else ""
    base_i = baseline_index(branches)
    counts = [(b.conversions, b.runs) for b in branches]
    enough = enough_data(counts)
    base = branches[base_i] if branches else None
    results = []
    for i, b in enumerate(branches):
        rate = b.conversions / b.runs if b.runs else None
        base_rate = base.conversions / base.runs if base is not None and base.runs else None
        uplift = ci_low = ci_high = p_value = None
        if i != base_i and rate is not None and base_rate:
            uplift = (rate - base_rate) / base_rate
        if i != base_i and enough and base is not None:
            comparison = two_proportions(b.conversions, b.runs, base.conversions, base.runs)
            ci_low, ci_high, p_value = comparison.ci_low, comparison.ci_high, comparison.p_value
        results.append(BranchResult(b.split, b.branch, b.label, b.holdout, b.runs,
                                    b.conversions, rate, uplift, ci_low, ci_high, p_value,
                                    baseline=i == base_i))
    chi_stat = chi_p = None
    if enough and len(branches) > 2:
        chi_stat, _dof, chi_p = chi_squared(counts)
    return SplitResult(split, results, enough, chi_stat, chi_p)


def branch_name(result: BranchResult) -> str:
    """"Control", "Branch 2": the label, else the branch's number."""
    return result.label or f"Branch {result.branch + 1}"


def percent_text(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def p_text(p_value: float) -> str:
    """"0.1529"; "< 0.0001" rather than a p-value of 0.0000, which no test gives."""
    return "< 0.0001" if p_value < 0.0001 else f"{p_value:.4f}"


def p_words(p_value: float | None) -> str:
    """"= 0.1529" or "< 0.0001", after a "p"."""
    text = p_text(p_value or 0.0)
    return text if text.startswith("<") else f"= {text}"


def result_line(result: BranchResult, enough: bool) -> str:
    """One branch in words, as ``stats`` prints it."""
    role = " (holdout)" if result.holdout else ""
    line = (f"{branch_name(result)}{role}: {result.conversions:,} of {result.runs:,} converted"
            f" ({percent_text(result.rate)})")
    if result.baseline:
        return line + ", baseline"
    if result.uplift is not None:
        line += f", uplift {result.uplift * 100:+.1f} %"
    if not enough:
        return line + f", {NOT_ENOUGH_DATA}"
    return (line + f", difference {percent_text(result.ci_low)} to {percent_text(result.ci_high)}"
            f" (95 %), p {p_words(result.p_value)}")
