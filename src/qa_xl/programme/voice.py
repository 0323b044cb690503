"""Voice of children and families: the three questions, by partner and period, and stories.

Practitioners ask children and families three questions (listened to? treated with respect?
made a difference to keeping you safe and well?). The papers report the share answering yes,
partly and no. Small numbers can identify a child, so any figure built on fewer than
``min_respondents`` answers (default 5) is blanked and shown as the words "fewer than 5"; the
respondent count itself is blanked too. The all-partners line is worked out from summed counts,
never by averaging partners' percentages, and is suppressed by the same rule.

Note for the papers: showing an all-partners total next to partner lines where one partner is
suppressed lets a reader work out the suppressed figure by subtraction; show either the partner
lines or the total for such a question, or suppress a second partner.

Pure functions on DataFrames shaped by :data:`qa_xl.workbook.schema.VOICE`.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pandas as pd

from qa_xl.core.findings import cell as _cell, finding, text as _text
from qa_xl.core.periods import period_or_none
from qa_xl.workbook.schema import VOICE

_finding = partial(finding, VOICE.sheet)

ALL_PARTNERS = "All partners"
ANSWERS = ("yes", "partly", "no")
COUNTS = ("respondents", *ANSWERS)
SHARES = tuple(f"share_{answer}" for answer in ANSWERS)
MIN_RESPONDENTS = 5


def suppression_note(min_respondents: int = MIN_RESPONDENTS) -> str:
    """The words shown in place of a suppressed figure."""
    return f"fewer than {min_respondents}"


def _period_key(text: Any) -> tuple[int, int, str]:
    """Sort key: periods in time order, anything unreadable last."""
    period = period_or_none(text)
    if period is None:
        return (dt.date.max.toordinal(), 0, _text(text))
    return (period.start.toordinal(), period.end.toordinal(), "")


def _first_seen(values: pd.Series) -> pd.Series:
    """Each value's rank by first appearance, so partners and questions keep entry order."""
    rank = {value: i for i, value in enumerate(dict.fromkeys(values.map(_text)))}
    return values.map(lambda value: rank[_text(value)])


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Period by period in time order; within a period, partners and then questions in the
    order they were first entered."""
    keys = list(zip(frame["period"].map(_period_key), _first_seen(frame["partner_id"]),
                    _first_seen(frame["question"])))
    order = sorted(range(len(frame)), key=keys.__getitem__)
    return frame.iloc[order].reset_index(drop=True)


def _shares(counts: pd.DataFrame, min_respondents: int) -> pd.DataFrame:
    """Add the shares (0-1, of respondents) and blank every figure of a small cell."""
    out = counts.copy()
    for answer, share in zip(ANSWERS, SHARES):
        out[share] = (out[answer].astype("Float64") / out["respondents"]).where(
            out["respondents"] > 0)
    small = (out["respondents"] < min_respondents).fillna(False).astype(bool)
    out[list(COUNTS)] = out[list(COUNTS)].astype("Int64").mask(small)
    out[list(SHARES)] = out[list(SHARES)].astype("Float64").mask(small)
    out["suppressed"] = small
    out["note"] = small.map({True: suppression_note(min_respondents), False: ""}).astype("string")
    return out


def _summed(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Counts summed per group; a sum with a blank count in it is blank, not a smaller number."""
    grouped = df.groupby(by, sort=False, dropna=False)
    blank = df[list(COUNTS)].isna().groupby([df[k] for k in by], sort=False, dropna=False).any()
    return grouped[list(COUNTS)].sum().astype("Int64").mask(blank).reset_index()


def voice_summary(df: pd.DataFrame, min_respondents: int = MIN_RESPONDENTS) -> pd.DataFrame:
    """Per period, partner and question: respondents, yes / partly / no counts, their shares of
    respondents (0-1), ``suppressed`` and ``note`` ("fewer than 5" when suppressed).

    Shares are of respondents, so someone who gave none of the three answers counts in none.
    """
    summed = _summed(df, ["period", "partner_id", "question"])
    return _in_order(_shares(summed, min_respondents))


def all_partners(df: pd.DataFrame, min_respondents: int = MIN_RESPONDENTS) -> pd.DataFrame:
    """Per period and question, all partners together (partner_id "All partners"), from summed
    counts and suppressed by the same rule. Same columns as :func:`voice_summary`."""
    summed = _summed(df, ["period", "question"])
    summed.insert(1, "partner_id", ALL_PARTNERS)
    return _in_order(_shares(summed, min_respondents))


def stories(df: pd.DataFrame) -> pd.DataFrame:
    """The stories for the papers: every non-blank story with its period, partner and question,
    in period order."""
    told = df[df["story"].map(_text) != ""]
    return _in_order(told[["period", "partner_id", "question", "story"]])


# ---------------------------------------------------------------------------- validation

def check(df: pd.DataFrame, letters: dict[str, str], today: dt.date) -> list[dict]:
    """Cross-field rules for tblVoice: answers within respondents, and no future period."""
    today = today.date() if isinstance(today, dt.datetime) else today
    findings = []
    for row in df.itertuples():
        key = " / ".join(_text(v) for v in (row.period, row.partner_id, row.question))
        answered = sum(0 if pd.isna(v) else int(v) for v in (row.yes, row.partly, row.no))
        if not pd.isna(row.respondents) and answered > row.respondents:
            findings.append(_finding(
                "Error", _cell(letters, "respondents", row.Index), key,
                "answers_exceed_respondents",
                f"Yes, partly and no add up to {answered}, more than the {row.respondents} "
                "respondents: correct the counts."))
        period = period_or_none(row.period)
        if period is not None and period.start > today:
            findings.append(_finding(
                "Error", _cell(letters, "period", row.Index), key, "period_in_future",
                f"Period {period} has not started yet: enter the period the answers were "
                "given in."))
    return findings
