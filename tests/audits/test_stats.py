import pytest

from audits.stats import lqas_rule, lqas_smallest_n, wilson_interval


@pytest.mark.parametrize(
    ("successes", "total", "low", "high"),
    [
        # Textbook values: 5 of 10 gives 0.2366-0.7634; with no successes the upper end is
        # z² / (n + z²).
        (5, 10, 0.236593, 0.763407),
        (0, 10, 0.0, 3.841459 / 13.841459),
        (10, 10, 1 - 3.841459 / 13.841459, 1.0),
        # Worked by hand from the count form (s + z²/2 ± z·sqrt(s·f/n + z²/4)) / (n + z²).
        (17, 19, 0.686059, 0.970641),
        (81, 263, 0.255289, 0.366210),
    ],
)
def test_wilson_interval_matches_known_values(successes, total, low, high):
    interval = wilson_interval(successes, total)
    assert interval == pytest.approx((low, high), abs=1e-5)


def test_wilson_interval_is_none_when_nothing_was_observed():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(("benchmark", "threshold"), [(0.80, 13), (0.50, 7), (0.85, 14)])
def test_lqas_rule_for_19_matches_the_worked_examples(benchmark, threshold):
    assert lqas_rule(19, benchmark).threshold == threshold


def test_lqas_rule_keeps_both_errors_at_or_below_ten_percent():
    for n in range(10, 40):
        for benchmark in (0.5, 0.6, 0.7, 0.8, 0.9):
            rule = lqas_rule(n, benchmark)
            if rule:
                assert rule.alpha <= 0.10 and rule.beta <= 0.10


def test_lqas_rule_is_none_when_the_sample_is_too_small_and_says_what_would_do():
    assert lqas_rule(5, 0.80) is None
    smallest = lqas_smallest_n(0.80)
    assert lqas_rule(smallest, 0.80) is not None
    assert lqas_rule(smallest - 1, 0.80) is None
