"""A/B statistics against numbers worked out by hand (no SciPy)."""

from __future__ import annotations

import math

import pytest

from journey_desktop.domain.ab_results import (
    BranchCounts,
    chi_squared,
    chi_squared_sf,
    compare_split,
    enough_data,
    normal_cdf,
    two_proportions,
)


def test_normal_cdf_at_known_points() -> None:
    assert normal_cdf(0) == pytest.approx(0.5)
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975, abs=1e-12)


def test_chi_squared_survival_matches_closed_forms() -> None:
    # 1 degree of freedom: erfc(sqrt(x/2)); 2: exp(-x/2); 5 at 30: 1.4749e-05 (tables).
    assert chi_squared_sf(3.84, 1) == pytest.approx(math.erfc(math.sqrt(1.92)), rel=1e-10)
    assert chi_squared_sf(11.7, 2) == pytest.approx(math.exp(-5.85), rel=1e-10)
    assert chi_squared_sf(0.5, 2) == pytest.approx(math.exp(-0.25), rel=1e-10)
    assert chi_squared_sf(30, 5) == pytest.approx(1.4749e-05, rel=1e-3)
    assert chi_squared_sf(2, 5) == pytest.approx(0.849145, rel=1e-5)


def test_120_of_1000_against_100_of_1000() -> None:
    # Pooled rate 0.11: SE = sqrt(0.11 * 0.89 * 2/1000) = 0.0139929, z = 0.02 / SE = 1.42929,
    # p = 2 (1 - Φ(1.42929)) = 0.15292. Interval: unpooled SE sqrt(.12*.88/1000 + .1*.9/1000)
    # = 0.0139857; 0.02 ± 1.96 × SE = [-0.00741, 0.04741].
    result = two_proportions(120, 1000, 100, 1000)
    assert result.difference == pytest.approx(0.02)
    assert result.p_value == pytest.approx(0.15292, abs=1e-4)
    assert result.ci_low == pytest.approx(-0.00741, abs=1e-5)
    assert result.ci_high == pytest.approx(0.04741, abs=1e-5)


def test_split_with_holdout_uses_it_as_baseline() -> None:
    split = compare_split([
        BranchCounts("ab", 0, "Offer", False, 1000, 120),
        BranchCounts("ab", 1, "Control", True, 1000, 100),
    ])
    offer, control = split.branches
    assert control.baseline and control.uplift is None and control.p_value is None
    assert offer.uplift == pytest.approx(0.2)
    assert offer.rate == pytest.approx(0.12)
    assert offer.p_value == pytest.approx(0.15292, abs=1e-4)
    assert split.chi_p is None  # two branches: the z-test says it


def test_three_branches_chi_squared() -> None:
    # Pooled 370/3000; expected converted 123.33 per branch, not converted 876.67:
    # Σ (O - E)² / E = 4.4144 + 0.0901 + 5.7658 + 0.6210 + 0.0127 + 0.8111 = 11.7151,
    # 2 degrees of freedom, p = exp(-11.7151 / 2) = 0.002858.
    statistic, dof, p_value = chi_squared([(100, 1000), (120, 1000), (150, 1000)])
    assert statistic == pytest.approx(11.7151, abs=1e-3)
    assert dof == 2
    assert p_value == pytest.approx(0.002858, abs=1e-5)
    split = compare_split([BranchCounts("s", i, "", False, 1000, c)
                           for i, c in enumerate((100, 120, 150))])
    assert split.chi_p == pytest.approx(0.002858, abs=1e-5)
    assert split.branches[0].baseline
    assert split.branches[2].uplift == pytest.approx(0.5)


def test_not_enough_data_when_an_expected_count_is_under_five() -> None:
    # 3 conversions in 40 runs: expected 1.5 per branch.
    assert not enough_data([(2, 20), (1, 20)])
    split = compare_split([BranchCounts("s", 0, "", False, 20, 2),
                           BranchCounts("s", 1, "", False, 20, 1)])
    assert not split.enough
    assert split.branches[1].p_value is None and split.branches[1].ci_low is None
    assert split.branches[1].uplift == pytest.approx(-0.5)
    assert enough_data([(10, 100), (12, 100)])


def test_rate_interval_of_one_branch() -> None:
    # 0.12 ± 1.96 × sqrt(0.12 × 0.88 / 1000) = 0.12 ± 0.020141
    from journey_desktop.domain.ab_results import rate_interval

    low, high = rate_interval(120, 1000) or (0, 0)
    assert (low, high) == (pytest.approx(0.099859, abs=1e-6), pytest.approx(0.140141, abs=1e-6))
    assert rate_interval(0, 0) is None
    assert rate_interval(0, 10) == (0.0, 0.0)
