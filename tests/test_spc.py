"""XmR charts the Making Data Count way (qa_xl.spc), checked against arithmetic done by hand.

Every worked example writes out the mean, the moving ranges, MR-bar and the limits as plain
arithmetic, so that a reader can check the expected flags with pencil and paper:

    process limits  = mean ± 2.66 × MR-bar
    2σ lines        = mean ± (2/3 × 2.66) × MR-bar = mean ± 1.7733… × MR-bar
    screening       = a moving range ≥ 3.267 × MR-bar is left out, MR-bar computed again
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_xl.papers.spc import MIN_POINTS, RULES, xmr

approx = pytest.approx


def signals(result) -> dict[int, tuple[str, ...]]:
    """Point index -> rules, for the points that any rule marked."""
    return {i: rules for i, rules in enumerate(result.rules) if rules}


def check_limits(result, mean: float, mr_bar: float) -> None:
    for i, v in enumerate(result.value):
        if v is None:
            continue
        assert result.mean[i] == approx(mean), i
        assert result.lpl[i] == approx(mean - 2.66 * mr_bar), i
        assert result.upl[i] == approx(mean + 2.66 * mr_bar), i


# ---------------------------------------------------------------------------------------------
# astronomical points (beyond a process limit)

ASTRO = [10, 11, 9, 10, 30, 11, 9, 10, 11, 9, -10, 10, 11, 9]
# sum = 10+11+9+10+30+11+9+10+11+9-10+10+11+9 = 140, n = 14  -> mean = 10
# moving ranges: 1, 2, 1, 20, 19, 2, 1, 1, 2, 19, 20, 1, 2     -> sum 91, 13 of them
# MR-bar = 91 / 13 = 7; screening: 3.267 × 7 = 22.869, every MR is below it, none left out
# limits = 10 ± 2.66 × 7 = 10 ± 18.62 -> LPL -8.62, UPL 28.62
# 30 > 28.62: above the UPL; -10 < -8.62: below the LPL
ASTRO_MEAN, ASTRO_MR_BAR = 140 / 14, 91 / 13
ASTRO_LPL, ASTRO_UPL = 10 - 18.62, 10 + 18.62


def test_astronomical_worked_example():
    r = xmr(ASTRO)
    assert ASTRO_MR_BAR == 7
    check_limits(r, ASTRO_MEAN, ASTRO_MR_BAR)
    assert r.lpl[0] == approx(-8.62)
    assert r.upl[0] == approx(28.62)
    assert r.moving_range == (None, 1, 2, 1, 20, 19, 2, 1, 1, 2, 19, 20, 1, 2)
    assert r.segments[0].screened == ()
    assert signals(r) == {4: ("astronomical",), 10: ("astronomical",)}
    assert r.special_cause[4] == "astronomical"
    assert r.direction[4] == "high" and r.direction[10] == "low"
    # higher is better: above the UPL is an improvement, below the LPL a concern
    assert r.classification[4] == "improvement"
    assert r.classification[10] == "concern"
    assert r.count("common_cause") == 12
    assert r.special_cause_flag[4] and not r.special_cause_flag[5]
    # the most recent point (9) is common cause
    assert r.variation == "common cause"
    assert r.variation_text == "Common cause variation – no significant change"
    assert r.variation_icon == "common_cause"


def test_decrease_flips_improvement_and_concern():
    r = xmr(ASTRO, "decrease")
    check_limits(r, ASTRO_MEAN, ASTRO_MR_BAR)  # the direction does not move the limits
    assert signals(r) == {4: ("astronomical",), 10: ("astronomical",)}
    assert r.classification[4] == "concern"
    assert r.classification[10] == "improvement"


def test_neutral_gives_neither():
    r = xmr(ASTRO, "neutral")
    assert r.classification[4] == "neither" and r.direction[4] == "high"
    assert r.classification[10] == "neither" and r.direction[10] == "low"
    assert r.count("neither") == 2 and r.count("common_cause") == 12
    assert r.count("improvement") == r.count("concern") == 0


ON_LIMIT = [10, 12, 10, 8, 8, 12, 9, 11, 18, 9, 12, 10, 11, 8, 8]
# sum = 156, n = 15 -> mean = 156 / 15 = 10.4
# moving ranges: 2, 2, 2, 0, 4, 3, 2, 7, 9, 3, 2, 1, 3, 0 -> sum 40, 14 of them
# MR-bar = 40 / 14 = 20 / 7; screening 3.267 × 20/7 = 9.334 > 9, none left out
# UPL = 10.4 + 2.66 × 20 / 7 = 10.4 + 53.2 / 7 = 10.4 + 7.6 = 18.0 -> the value 18 is ON the UPL
# LPL = 10.4 - 7.6 = 2.8


def test_exactly_on_a_limit_is_not_beyond():
    r = xmr(ON_LIMIT)
    check_limits(r, 10.4, 20 / 7)
    assert r.upl[8] == approx(18.0)
    assert r.lpl[8] == approx(2.8)
    assert signals(r) == {}
    assert r.classification[8] == "common_cause"


def test_just_beyond_a_limit_is_astronomical():
    values = [*ON_LIMIT[:8], 18.1, *ON_LIMIT[9:]]
    # sum = 156.1 -> mean = 156.1 / 15 = 10.40667
    # moving ranges 11 -> 18.1 = 7.1 and 18.1 -> 9 = 9.1: sum = 40 + 0.2 = 40.2, MR-bar = 40.2/14
    # UPL = 10.40667 + 2.66 × 2.87143 = 10.40667 + 7.638 = 18.0447 < 18.1
    r = xmr(values)
    check_limits(r, 156.1 / 15, 40.2 / 14)
    assert r.upl[8] == approx(156.1 / 15 + 2.66 * 40.2 / 14)
    assert signals(r) == {8: ("astronomical",)}
    assert r.classification[8] == "improvement"


# ---------------------------------------------------------------------------------------------
# shifts (7 points on one side of the mean)

SHIFT_7 = [14, 6, 14, 6, 14, 6, 11, 11, 11, 11, 11, 11, 11, 3]
# sum = 3 × 14 + 3 × 6 + 7 × 11 + 3 = 42 + 18 + 77 + 3 = 140 -> mean 10
# moving ranges: 8, 8, 8, 8, 8, 5, 0, 0, 0, 0, 0, 0, 8 -> sum 53, MR-bar = 53 / 13 = 4.0769
# limits 10 ± 2.66 × 4.0769 = 10 ± 10.845; 2σ lines 10 ± 1.7733 × 4.0769 = 10 ± 7.2297
# -> 14 and 6 and 3 are inside the 2σ lines; points 6..12 (the 11s) are all above 10


def test_shift_of_seven_signals():
    r = xmr(SHIFT_7)
    check_limits(r, 10, 53 / 13)
    assert signals(r) == {i: ("shift",) for i in range(6, 13)}
    assert all(r.classification[i] == "improvement" for i in range(6, 13))
    assert xmr(SHIFT_7, "decrease").classification[6:13] == ("concern",) * 7


SHIFT_6 = [14, 6, 14, 6, 14, 6, 11, 11, 11, 11, 11, 11, 4, 10]
# sum = 42 + 18 + 66 + 4 + 10 = 140 -> mean 10
# moving ranges: 8, 8, 8, 8, 8, 5, 0, 0, 0, 0, 0, 7, 6 -> sum 58, MR-bar = 58 / 13 = 4.4615
# 2σ lower line 10 - 1.7733 × 4.4615 = 2.088 < 4; six 11s above the mean, then 4 below


def test_shift_of_six_is_not_a_signal():
    r = xmr(SHIFT_6)
    check_limits(r, 10, 58 / 13)
    assert signals(r) == {}
    assert r.classification[13] == "common_cause"  # 10 is on the mean


SHIFT_ON_MEAN = [6, 14, 6, 14, 6, 14, 11, 11, 11, 10, 11, 11, 11, 4]
# sum = 18 + 42 + 33 + 10 + 33 + 4 = 140 -> mean 10
# moving ranges: 8, 8, 8, 8, 8, 3, 0, 0, 1, 1, 0, 0, 7 -> sum 52, MR-bar = 52 / 13 = 4
# limits 10 ± 10.64 -> -0.64, 20.64; 2σ lines 10 ± 7.0933 -> 2.9067, 17.0933
# points 5..12 are 14, 11, 11, 11, 10, 11, 11, 11: eight points, but 10 is ON the mean,
# leaving runs of 4 and 3 above it


def test_point_on_the_mean_breaks_a_shift():
    r = xmr(SHIFT_ON_MEAN)
    check_limits(r, 10, 4)
    assert r.lpl[0] == approx(-0.64) and r.upl[0] == approx(20.64)
    assert r.value[9] == r.mean[9] == 10
    assert signals(r) == {}


def test_missing_value_breaks_a_shift_and_is_skipped_for_limits():
    values = [14, 6, 14, 6, 14, 6, 11, 11, 11, None, 11, 11, 11, 11, 3]
    # present: 42 + 18 + 7 × 11 + 3 = 140 over 14 values -> mean 10
    # moving ranges: 8, 8, 8, 8, 8, 5, 0, 0, (11 -> gap), (gap -> 11), 0, 0, 0, 8:
    # the two touching the gap are left out -> 12 moving ranges, sum 53, MR-bar = 53 / 12
    # the seven 11s are all above the mean, but the gap splits them into runs of 3 and 4
    r = xmr(values)
    check_limits(r, 10, 53 / 12)
    assert r.moving_range[9] is None and r.moving_range[10] is None
    assert r.value[9] is None
    assert r.mean[9] == approx(10)  # the line carries on through the gap
    assert signals(r) == {}
    assert r.segments[0].n_values == 14
    assert r.enough_points


# ---------------------------------------------------------------------------------------------
# trends (7 points each strictly higher, or each strictly lower, than the one before)

TREND_7 = [10, 13, 9, 12, 7, 8, 9, 10, 11, 12, 13, 9, 11, 6]
# sum = 10+13+9+12+7+8+9+10+11+12+13+9+11+6 = 140 -> mean 10
# moving ranges: 3, 4, 3, 5, 1, 1, 1, 1, 1, 1, 4, 2, 5 -> sum 32, MR-bar = 32 / 13 = 2.4615
# limits 10 ± 6.5477 -> 3.4523, 16.5477; 2σ lines 10 ± 4.3651 -> 5.6349, 14.3651
# points 4..10 are 7, 8, 9, 10, 11, 12, 13: six rises in a row; 12 -> 7 before, 13 -> 9 after
# (the rising run crosses the mean, so there is no shift)


def test_trend_of_seven_signals():
    r = xmr(TREND_7)
    check_limits(r, 10, 32 / 13)
    assert signals(r) == {i: ("trend",) for i in range(4, 11)}
    # a rising trend is an improvement when higher is better, even below the mean
    assert r.direction[4] == "high"
    assert r.classification[4:11] == ("improvement",) * 7
    assert xmr(TREND_7, "decrease").classification[4:11] == ("concern",) * 7


TREND_6 = [8, 13, 9, 12, 9, 8, 9, 10, 11, 12, 13, 9, 11, 6]
# sum = 8+13+9+12+9+8+9+10+11+12+13+9+11+6 = 140 -> mean 10
# moving ranges: 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 2, 5 -> sum 32, MR-bar = 32 / 13
# points 5..10 are 8, 9, 10, 11, 12, 13: only five rises (9 -> 8 before them)


def test_trend_of_six_is_not_a_signal():
    r = xmr(TREND_6)
    check_limits(r, 10, 32 / 13)
    assert signals(r) == {}


TREND_TIE = [10, 13, 9, 12, 7, 8, 9, 9, 11, 12, 13, 9, 11, 7]
# sum = 10+13+9+12+7+8+9+9+11+12+13+9+11+7 = 140 -> mean 10
# moving ranges: 3, 4, 3, 5, 1, 1, 0, 2, 1, 1, 4, 2, 4 -> sum 31, MR-bar = 31 / 13
# points 4..10 are 7, 8, 9, 9, 11, 12, 13: never falling, but 9 -> 9 is not a rise


def test_tie_breaks_a_trend():
    r = xmr(TREND_TIE)
    check_limits(r, 10, 31 / 13)
    assert signals(r) == {}


# ---------------------------------------------------------------------------------------------
# two in three (2 of 3 points beyond the 2σ line, the 3 points on one side of the mean)

TWO_IN_THREE = [7, 8, 8, 7, 16, 12, 16, 8, 11, 9, 7, 9, 10, 12]
# sum = 7+8+8+7+16+12+16+8+11+9+7+9+10+12 = 140 -> mean 10
# moving ranges: 1, 0, 1, 9, 4, 4, 8, 3, 2, 2, 2, 1, 2 -> sum 39, MR-bar = 39 / 13 = 3
# screening: 3.267 × 3 = 9.801 > 9, none left out
# limits 10 ± 2.66 × 3 = 10 ± 7.98 -> 2.02, 17.98
# 2σ lines 10 ± 2/3 × 7.98 = 10 ± 5.32 -> 4.68, 15.32
# points 4, 5, 6 = 16, 12, 16: all above the mean, 16 > 15.32 twice -> both 16s marked, 12 not


def test_two_in_three_marks_both_points():
    r = xmr(TWO_IN_THREE)
    check_limits(r, 10, 3)
    assert r.lpl[0] == approx(2.02) and r.upl[0] == approx(17.98)
    assert signals(r) == {4: ("two_in_three",), 6: ("two_in_three",)}
    assert r.classification[4] == r.classification[6] == "improvement"
    assert r.classification[5] == "common_cause"


def test_two_in_three_with_the_middle_point_on_the_other_side_does_not_signal():
    values = [11, 10, 8, 10, 16, 9, 16, 10, 9, 8, 10, 7, 8, 8]
    # sum = 11+10+8+10+16+9+16+10+9+8+10+7+8+8 = 140 -> mean 10
    # moving ranges: 1, 2, 2, 6, 7, 7, 6, 1, 1, 2, 3, 1, 0 -> sum 39, MR-bar = 3
    # 2σ upper line 15.32: both 16s are beyond it, but 9 between them is below the mean
    r = xmr(values)
    check_limits(r, 10, 3)
    assert signals(r) == {}


def test_two_in_three_on_opposite_sides_does_not_signal():
    values = [10, 9, 11, 10, 16, 11, 4, 9, 11, 10, 9, 11, 10, 9]
    # sum = 10+9+11+10+16+11+4+9+11+10+9+11+10+9 = 140 -> mean 10
    # moving ranges: 1, 2, 1, 6, 5, 7, 5, 2, 1, 1, 2, 1, 1 -> sum 35, MR-bar = 35 / 13
    # 2σ lines 10 ± 1.7733 × 35/13 = 10 ± 4.7744 -> 5.2256, 14.7744
    # limits 10 ± 2.66 × 35/13 = 10 ± 7.1615 -> 2.8385, 17.1615
    # 16 (above) and 4 (below) are both beyond a 2σ line, within 3 points, on opposite sides
    r = xmr(values)
    check_limits(r, 10, 35 / 13)
    assert signals(r) == {}


def test_a_point_beyond_the_limit_does_not_count_towards_two_in_three():
    # NHSRplotthedots counts only points between the 2σ line and the limit ("close to limits")
    values = [9, 10, 7, 9, 16, 12, 19, 10, 8, 8, 7, 8, 9, 8]
    # sum = 140 -> mean 10; moving ranges 1, 3, 2, 7, 4, 7, 9, 2, 0, 1, 1, 1, 1 -> 39, MR-bar 3
    # 19 > 17.98: astronomical; 16 is beyond 15.32 but its window has just one "close" point
    r = xmr(values)
    check_limits(r, 10, 3)
    assert signals(r) == {6: ("astronomical",)}


# ---------------------------------------------------------------------------------------------
# precedence: astronomical, then trend, then two-in-three, then shift

PRECEDENCE = [6, 2, 10, 2, 7, 10, 5, 17, 16, 15, 14, 13, 12, 11]
# sum = 6+2+10+2+7+10+5 + 17+16+15+14+13+12+11 = 42 + 98 = 140 -> mean 10
# moving ranges: 4, 8, 8, 5, 3, 5, 12, 1, 1, 1, 1, 1, 1 -> sum 51, MR-bar = 51 / 13 = 3.9231
# screening: 3.267 × 3.9231 = 12.817 > 12, none left out
# limits 10 ± 10.4354 -> -0.4354, 20.4354; 2σ lines 10 ± 6.9569 -> 3.0431, 16.9569
# points 7..13 (17 down to 11): seven points above the mean (shift) AND falling (trend).
# 17 is beyond the 2σ line, but the only such point in its windows: no two-in-three.


def test_falling_trend_above_the_mean_is_a_concern_when_higher_is_better():
    r = xmr(PRECEDENCE)
    check_limits(r, 10, 51 / 13)
    assert signals(r) == {i: ("trend", "shift") for i in range(7, 14)}
    # the trend outranks the shift: its direction (falling) decides, not the side of the mean
    assert r.special_cause[7:14] == ("trend",) * 7
    assert r.direction[7:14] == ("low",) * 7
    assert r.classification[7:14] == ("concern",) * 7
    # the most recent point decides the variation verdict
    assert r.variation == "special cause concern"
    assert r.variation_text == "Special cause variation – concern (higher is better)"
    assert r.variation_icon == "concern_low"


def test_precedence_lower_is_better_and_neutral():
    r = xmr(PRECEDENCE, "decrease")
    assert r.classification[7:14] == ("improvement",) * 7
    assert r.variation == "special cause improvement"
    assert r.variation_text == "Special cause variation – improvement (lower is better)"
    assert r.variation_icon == "improvement_low"

    n = xmr(PRECEDENCE, "neutral")
    assert n.classification[7:14] == ("neither",) * 7
    assert n.variation == "special cause neither"
    assert n.variation_icon == "neutral_low"
    assert n.variation_text.startswith("Special cause variation – unusually low values")


def test_rising_trend_below_the_mean_is_an_improvement():
    values = [20 - v for v in PRECEDENCE]  # the mirror image: 14, 18, 10, …, 3, 4, …, 9
    # sum = 14 × 20 - 140 = 140 -> mean 10; the moving ranges are the same (sum 51)
    r = xmr(values)
    check_limits(r, 10, 51 / 13)
    assert signals(r) == {i: ("trend", "shift") for i in range(7, 14)}
    assert r.classification[7:14] == ("improvement",) * 7
    assert r.variation == "special cause improvement"
    assert r.variation_text == "Special cause variation – improvement (higher is better)"
    assert r.variation_icon == "improvement_high"


def test_astronomical_outranks_trend_and_screening_worked_example():
    values = [14, 11, 10, 11, 14, 12, 11, 0, 7, 8, 9, 10, 11, 12]
    # sum = 14+11+10+11+14+12+11+0+7+8+9+10+11+12 = 140 -> mean 10
    # moving ranges: 3, 1, 1, 3, 2, 1, 11, 7, 1, 1, 1, 1, 1 -> sum 34, MR-bar 34 / 13 = 2.6154
    # screening: 3.267 × 2.6154 = 8.5443; 11 ≥ 8.5443 -> left out (the range into point 7)
    # MR-bar = (34 - 11) / 12 = 23 / 12 = 1.9167
    # limits 10 ± 2.66 × 23/12 = 10 ± 5.0983 -> 4.9017, 15.0983: 0 is below the LPL
    # points 7..13 are 0, 7, 8, 9, 10, 11, 12: a rising trend
    r = xmr(values)
    check_limits(r, 10, 23 / 12)
    assert r.segments[0].screened == (7,)
    assert r.segments[0].mr_bar == approx(23 / 12)
    assert signals(r) == {7: ("astronomical", "trend"), **{i: ("trend",) for i in range(8, 14)}}
    assert r.special_cause[7] == "astronomical"
    assert r.classification[7] == "concern"  # below the LPL: the astronomical rule decides
    assert r.classification[8:14] == ("improvement",) * 6  # rising trend


def test_rules_in_order_of_precedence():
    assert RULES == ("astronomical", "trend", "two_in_three", "shift")


# ---------------------------------------------------------------------------------------------
# screening moving ranges (NHSRplotthedots' default) and the plain mean MR


def test_screening_leaves_out_large_moving_ranges():
    values = [8, 12, 8, 12, 8, 36, 12, 8, 12, 8, 12, 8]
    # sum = 6 × 8 + 5 × 12 + 36 = 48 + 60 + 36 = 144 -> mean 12
    # moving ranges: 4, 4, 4, 4, 28, 24, 4, 4, 4, 4, 4 -> sum 88, MR-bar = 88 / 11 = 8
    # screening: 3.267 × 8 = 26.136; 28 ≥ 26.136 is left out, 24 stays
    # MR-bar = (88 - 28) / 10 = 6 -> limits 12 ± 15.96 -> -3.96, 27.96
    r = xmr(values)
    check_limits(r, 12, 6)
    assert r.segments[0].screened == (5,)
    assert r.upl[0] == approx(27.96)
    assert signals(r) == {5: ("astronomical",)}
    # without screening: MR-bar 8 -> limits 12 ± 21.28 -> -9.28, 33.28
    plain = xmr(values, screen_outliers=False)
    check_limits(plain, 12, 8)
    assert plain.upl[0] == approx(33.28)
    assert plain.segments[0].screened == ()


# ---------------------------------------------------------------------------------------------
# assurance: the target against the process limits of the latest point


@pytest.mark.parametrize(
    ("improvement", "target", "assurance", "icon"),
    [
        # ASTRO: LPL -8.62, UPL 28.62
        ("increase", 30, "consistently fails target", "fail"),  # 30 > UPL
        ("increase", -9, "consistently passes target", "pass"),  # -9 < LPL
        ("increase", 20, "hit and miss", "inconsistent"),
        ("increase", 28.62, "hit and miss", "inconsistent"),  # on the UPL: not beyond
        ("increase", -8.62, "hit and miss", "inconsistent"),  # on the LPL: not beyond
        ("decrease", 30, "consistently passes target", "pass"),
        ("decrease", -9, "consistently fails target", "fail"),
        ("decrease", 0, "hit and miss", "inconsistent"),
        ("increase", None, "no target", None),
        ("neutral", 30, "no target", None),  # no better direction: not assessed
    ],
)
def test_assurance(improvement, target, assurance, icon):
    r = xmr(ASTRO, improvement, target)
    assert r.assurance == assurance
    assert r.assurance_icon == icon
    assert r.assurance_text


def test_assurance_words():
    assert xmr(ASTRO, "increase", 30).assurance_text.startswith("Consistently fails the target")
    assert xmr(ASTRO, "increase", -9).assurance_text.startswith("Consistently passes the target")
    assert xmr(ASTRO, "increase", 20).assurance_text.startswith("Hit and miss")
    assert xmr(ASTRO).assurance_text == "No target set – assurance not assessed"
    assert xmr(ASTRO, "neutral", 5).assurance_text.startswith("Assurance not assessed")
    assert xmr(ASTRO, target=math.nan).assurance == "no target"


# ---------------------------------------------------------------------------------------------
# rebasing


def test_rebase_gives_each_segment_its_own_limits_and_runs():
    before = [9, 11, 9, 11, 10, 9, 11]
    after = [20, 22, 20, 22, 21, 20, 22]
    # before: sum 70 -> mean 10; moving ranges 2, 2, 2, 1, 1, 2 -> MR-bar 10 / 6 = 5/3
    # after:  sum 147 -> mean 21; moving ranges 2, 2, 2, 1, 1, 2 -> MR-bar 5/3
    # (the jump 11 -> 20 belongs to no segment)
    r = xmr(before + after, "increase", 25, rebase_at=[7])
    assert [(s.start, s.stop) for s in r.segments] == [(0, 7), (7, 14)]
    assert r.segment == (0,) * 7 + (1,) * 7
    assert r.mean[0] == approx(10) and r.mean[7] == approx(21)
    assert r.upl[0] == approx(10 + 2.66 * 5 / 3) and r.upl[7] == approx(21 + 2.66 * 5 / 3)
    assert r.moving_range[7] is None
    assert signals(r) == {}
    # assurance uses the latest limits: UPL 21 + 4.4333 = 25.4333 > 25 -> hit and miss
    assert r.assurance == "hit and miss"
    assert xmr(before + after, "increase", 26, rebase_at=[7]).assurance == (
        "consistently fails target"
    )
    # 7 points per segment: computed, but not enough to chart
    assert not r.enough_points
    # without the rebase, all seven "before" points lie below the overall mean 217/14 = 15.5
    whole = xmr(before + after)
    assert all("shift" in whole.rules[i] for i in range(14))


def test_rebase_at_validation():
    with pytest.raises(ValueError):
        xmr([1, 2, 3], rebase_at=[3])
    with pytest.raises(ValueError):
        xmr([1, 2, 3], rebase_at=[1.5])
    assert len(xmr([1, 2, 3], rebase_at=[0]).segments) == 1  # a rebase at the start is a no-op


# ---------------------------------------------------------------------------------------------
# missing values, constant series, short series, bad input


def test_missing_last_value_uses_the_most_recent_value_for_the_variation_verdict():
    r = xmr([*PRECEDENCE, None])
    assert r.value[-1] is None
    assert r.classification[-1] == "common_cause"
    assert r.variation == "special cause concern"
    # nan is missing too; the limits are those of the 14 values alone
    r2 = xmr([*PRECEDENCE, math.nan])
    check_limits(r2, 10, 51 / 13)
    assert r2.variation == "special cause concern"


def test_missing_values_at_the_start():
    values = [None, None, *ASTRO]
    r = xmr(values)
    check_limits(r, ASTRO_MEAN, ASTRO_MR_BAR)
    assert signals(r) == {6: ("astronomical",), 12: ("astronomical",)}
    assert r.segments[0].n_values == 14


def test_constant_series():
    values = [5.0] * 12
    # mean 5; every moving range 0 -> MR-bar 0 -> LPL = UPL = 5; every value is on the mean
    r = xmr(values, "increase", 6)
    check_limits(r, 5, 0)
    assert r.lpl[0] == r.upl[0] == 5
    assert signals(r) == {}
    assert r.variation == "common cause"
    assert r.assurance == "consistently fails target"  # 6 > UPL 5
    assert xmr(values, "increase", 4).assurance == "consistently passes target"  # 4 < LPL 5
    assert xmr(values, "increase", 5).assurance == "hit and miss"  # on both limits


def test_enough_points_is_twelve_values():
    eleven = ASTRO[:11]
    r = xmr(eleven)
    assert not r.enough_points
    assert len(r) == 11 and r.mean[0] is not None  # still computed
    assert xmr(ASTRO[:12]).enough_points
    assert MIN_POINTS == 12
    # a missing value does not count
    assert not xmr([*ASTRO[:11], None]).enough_points


def test_tiny_and_empty_series():
    empty = xmr([])
    assert len(empty) == 0 and not empty.enough_points
    assert empty.variation == "common cause" and empty.segments == ()
    one = xmr([3.0], target=2)
    assert one.mean == (3.0,) and one.lpl == (None,) and one.upl == (None,)
    assert one.classification == ("common_cause",)
    assert one.assurance == "hit and miss"  # no limits to compare with (as NHSRplotthedots)
    none = xmr([None, None])
    assert none.mean == (None, None) and none.variation == "common cause"


def test_bad_input():
    with pytest.raises(ValueError):
        xmr([1, 2], "up")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        xmr([1, math.inf])
    with pytest.raises(ValueError):
        xmr([1, "two"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="target"):
        xmr([1, 2], target="high")  # type: ignore[arg-type]


def test_importing_spc_loads_neither_pandas_nor_matplotlib():
    src = Path(__file__).resolve().parents[1] / "src"
    code = (
        "import sys, qa_xl.spc; "
        "bad = [m for m in ('pandas', 'matplotlib') if m in sys.modules]; "
        "print(*bad); sys.exit(1 if bad else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr or done.stdout
