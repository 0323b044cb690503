"""The rules that tie an indicator's definition to the partners' figures: numerators and
denominators, ratios, units, frequencies, reporting partners and the commentary a missing or
Red figure needs.

Used by ``qa-xl validate`` on the master's return tables and by the import on each return
before it lands, so a figure the master would call wrong is never imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from qa_xl.core.periods import frequency_kinds, period_kinds
from qa_xl.core.rag import RED, rag_series
from qa_xl.workbook import schema as S
from qa_xl.workbook.checks import ERROR, WARNING, Finding, finding, is_missing

RATIO_TOLERANCE = 0.0005  # a value typed to 3 decimal places still agrees with num / den


def check_returns(ret: S.Table, indicators: S.Table) -> list[Finding]:
    """Numerators, denominators, ratios, units, frequencies and commentary in the returns.

    Each rule is a column-wise mask over the return joined to its indicators (thousands of
    rows a quarter), and a finding is made only for the rows a mask picks out.
    """
    own = ["partner_id", *(c.name for c in S.RETURN_COLUMNS)]
    df = ret.df[[c for c in own if c in ret.df]].join(_indicator_info(indicators),
                                                     on="indicator_id")
    known = df["indicator_id"].isin(indicators.df["indicator_id"].dropna())
    value, num, den = df["value"], df["numerator"], df["denominator"]
    ratio = known & (df["aggregation"] == "ratio")
    rules: list[tuple[str, str, str, pd.Series, Callable[[pd.Series], str]]] = [
        (ERROR, "indicator_id", "unknown_indicator", df["indicator_id"].notna() & ~known,
         lambda r: f"indicator {r['indicator_id']!r} is not on the Indicators sheet."),
        (WARNING, "indicator_id", "not_reported_by_partner", known & ~_reporting_partner(df),
         lambda r: f"{r['partner_id']} is not among the reporting partners of "
                   f"{r['indicator_id']}."),
        (ERROR, "period", "period_frequency", known & _wrong_frequency(df),
         lambda r: f"{r['indicator_id']} is reported {r['frequency']}, but the period "
                   f"{r['period']} is not."),
        (ERROR, "numerator", "numerator_le_denominator", num > den,
         lambda r: f"the numerator {r['numerator']:g} is larger than the denominator "
                   f"{r['denominator']:g}."),
        (ERROR, "denominator", "ratio_parts", ratio & num.notna() & den.isna(),
         lambda r: "a ratio needs both numerator and denominator: fill in the denominator."),
        (ERROR, "numerator", "ratio_parts", ratio & num.isna() & den.notna(),
         lambda r: "a ratio needs both numerator and denominator: fill in the numerator."),
        (ERROR, "value", "ratio_value",
         ratio & (den > 0) & ((value - num / den).abs() > RATIO_TOLERANCE),
         lambda r: f"value {r['value']:g} is not numerator / denominator ({r['numerator']:g}"
                   f" / {r['denominator']:g} = {r['numerator'] / r['denominator']:.4f})."),
        (ERROR, "value", "percentage_as_decimal", ratio & (value > 1) & den.isna(),
         lambda r: f"value {r['value']:g} is over 100%: give the numerator and denominator "
                   "(the value is worked out), or write the percentage as a decimal (85% is "
                   "0.85)."),
        (ERROR, "value", "negative", known & (value < 0) & df["unit"].isin(NON_NEGATIVE_UNITS),
         lambda r: f"{str(r['unit']).lower()} {r['value']:g} cannot be negative."),
        (ERROR, "commentary", "commentary_required",
         df["commentary"].isna() & known & value.isna(),
         lambda r: "the value is missing: say why in the commentary."),
        (ERROR, "commentary", "commentary_required",
         df["commentary"].isna() & known & value.notna() & _red(df),
         lambda r: "the value is Red against target: explain it in the commentary."),
    ]
    out = []
    for severity, column, check, mask, message in rules:
        for row, r in df[mask.fillna(False).astype(bool)].iterrows():
            out.append(finding(severity, ret, column, row, check, message(r), r[column]))
    return out


NON_NEGATIVE_UNITS = ("Count", "Percentage", "Days")


def _indicator_info(indicators: S.Table) -> pd.DataFrame:
    info = indicators.df.dropna(subset=["indicator_id"]).drop_duplicates("indicator_id")
    return info.set_index("indicator_id")[["aggregation", "unit", "polarity", "target",
                                            "amber_tolerance", "frequency",
                                            "reporting_partners"]]


def _reporting_partner(df: pd.DataFrame) -> pd.Series:
    """Is each row's partner among its indicator's reporting partners?"""
    pairs = df[["reporting_partners", "partner_id"]].drop_duplicates()
    ok = {(t, p): (_reporting(t) is None or p in _reporting(t)) for t, p in
          pairs.itertuples(index=False)}
    return pd.Series([ok[(t, p)] for t, p in zip(df["reporting_partners"], df["partner_id"])],
                     index=df.index, dtype=bool)


def _wrong_frequency(df: pd.DataFrame) -> pd.Series:
    have, want = period_kinds(df["period"]), frequency_kinds(df["frequency"])
    return have.notna() & want.notna() & (have != want)


def _red(df: pd.DataFrame) -> pd.Series:
    """Red against target for the rows where a partner's own figure is comparable to the
    target (not for sums, whose target is for the partnership as a whole)."""
    rated = df["aggregation"].ne("sum").fillna(False).astype(bool)
    red = rag_series(df["value"], df["target"], df["polarity"], df["amber_tolerance"]) == RED
    return rated & red.fillna(False).astype(bool)


def _reporting(text: Any) -> set[str] | None:
    if is_missing(text) or str(text).strip().lower() == "all":
        return None
    return {p.strip() for p in str(text).split(",") if p.strip()}


def check_indicators(indicators: S.Table, partner_ids: set[str]) -> Iterator[Finding]:
    for row, r in indicators.df.iterrows():
        for pid in sorted(_reporting(r["reporting_partners"]) or ()):
            if pid not in partner_ids:
                yield finding(ERROR, indicators, "reporting_partners", row, "unknown_partner",
                              f"reporting partner {pid!r} is not on the Partners sheet.")
        if r["aggregation"] == "ratio" and not is_missing(r["target"]) and r["target"] > 1:
            yield finding(WARNING, indicators, "target", row, "percentage_as_decimal",
                          f"a ratio's target {r['target']:g} is over 100%: write 85% as 0.85.")


def check_addresses(table: S.Table, column: str = "email") -> Iterator[Finding]:
    """An e-mail address no mail server would take (two in a cell are fine, separated by ;):
    the reminders cannot reach that partner or school, so say so before a chase does."""
    from qa_xl.core.mail import addresses

    if column not in table.df.columns:
        return
    for row, value in table.df[column].items():
        if is_missing(value) or not str(value).strip():
            continue
        _, problem = addresses(str(value))
        if problem:
            yield finding(WARNING, table, column, row, "email",
                          f"the e-mail address {problem}; reminders cannot be sent to it.",
                          value)
