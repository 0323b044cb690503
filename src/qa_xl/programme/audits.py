"""Multi-agency case-file audits: grades by stage and agency, themes, and unactioned
recommendations.

The framework's quarterly multi-agency audits grade the work of every agency at each stage of a case
(early intervention, referral, assessment, planning, review, management oversight & recording).
Every rule below is deliberately simple enough for an officer to check by hand:

* **Recurring themes** — each ``areas_for_development`` text is lower-cased and split into
  words; a plural "s" is removed; common words ("the", "of", "needs", "missing", "lack"... see
  ``STOPWORDS``) are dropped. A *theme* is a word, or a pair of words standing side by side with
  no common word or punctuation between them ("Management oversight was not recorded" gives
  "management oversight"), that appears in the areas for development of at least two
  different audits. Very general words (child, case, practice... see ``GENERIC``) count only
  inside a pair, and a single word is not listed when it only ever appears inside a listed pair
  with the same audits. Nor is a theme listed when every text that mentions it also mentions a
  theme listed before it, in at least the same audits ("delay" in "Delay in holding the
  strategy discussion", after "strategy discussion"): the example wording shown with each
  theme already says it.
* **Recommendations without an action** — a recommendation (per audit, repeated rows counted
  once) has an action when some action in tblActions either names the audit's id (e.g.
  ``MA2026Q1``) as a word in its finding or action, or contains the recommendation's text in its
  finding or action, ignoring case, punctuation and spacing. Naming the audit therefore covers all
  of that audit's recommendations: to track them one by one, copy each recommendation into the
  finding of its own action and do not name the audit.

Pure functions on DataFrames shaped by :data:`qa_xl.workbook.schema.AUDITS` and ``ACTIONS``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from functools import lru_cache, partial
from typing import Any

import pandas as pd

from qa_xl.core.findings import cell as _cell, finding, text as _text
from qa_xl.programme.timetable import cases_per_audit
from qa_xl.workbook.schema import AUDITS

_finding = partial(finding, AUDITS.sheet)

GRADES = ("Outstanding", "Good", "Requires improvement", "Inadequate")
GOOD_OR_BETTER = frozenset(GRADES[:2])
NEEDS_IMPROVEMENT = frozenset(GRADES[2:])
STAGES = ("Early intervention", "Referral", "Assessment", "Planning", "Review",
          "Management oversight & recording")
TOTAL = "Total"

_STOPWORD_TEXT = """
a about across all also an and any are as at be been being between but by can could did do does
for from had has have how if in into is it its more most must need needed needs no not of on or
other our over should so some such than that the their them there these they this those to too
under up was were what when where which while who will with within would further better improve
improved improvement improvements ensure ensuring consistent consistently always sometimes
lack lacks lacking missing poor limited insufficient absent inconsistent evident clear clearly
seen held holding
"""
_GENERIC_TEXT = """
child young people person parent carer family case practice work worker agency professional
staff service file
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())  # dropped; they also split pairs
GENERIC = frozenset(_GENERIC_TEXT.split())  # too general to be a theme alone
_NAME_WORD = r"[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:-[A-Z][a-z]+)?"  # Smith, O'Neil, Smith-Jones
NAME_LIKE = re.compile(rf"\b{_NAME_WORD}\s+{_NAME_WORD}\b")
TEN_DIGITS = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")


_NOT_LETTERS = re.compile(r"[^a-z0-9]+")


def normalise(text: Any) -> str:
    """Lower case, letters and digits only, single spaces: how texts are compared."""
    return _normalised(text if isinstance(text, str) else _text(text))


@lru_cache(maxsize=8192)
def _normalised(text: str) -> str:
    """:func:`normalise` of a text, remembered: the actions repeat the same findings and
    actions (one per organisation and standard of a self-assessment) many times."""
    return " ".join(_NOT_LETTERS.sub(" ", text.strip().lower()).split())


def _stage_key(stage: Any) -> str:
    """'Management oversight and recording' and '... & recording' compare equal."""
    return normalise(stage).replace(" and ", " ")


_GRADE_OF = {normalise(g): g for g in GRADES}
_STAGE_OF = {_stage_key(s): s for s in STAGES}


def _graded(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with one of the four grades, with grade and stage spelt as in the lists.

    The workbook's dropdowns accept 'good' for 'Good', so both are matched ignoring case; a
    missing or unknown grade is left out (the schema check reports it).
    """
    tidy = df.assign(
        grade=df["grade"].map(lambda g: _GRADE_OF.get(normalise(g))),
        stage=df["stage"].map(lambda s: _STAGE_OF.get(_stage_key(s), _text(s))),
    )
    return tidy[tidy["grade"].notna()]


def _stage_order(stage: str) -> tuple[int, str]:
    """Stages in the order of a case; any other stage after them, by name."""
    return (STAGES.index(stage), "") if stage in STAGES else (len(STAGES), stage)


# ------------------------------------------------------------------------ grade distribution

def grade_distribution(df: pd.DataFrame, by: str = "stage") -> pd.DataFrame:
    """Count of each grade per stage (or per ``by`` column, e.g. partner_id), plus Total.

    Columns are the grades in the order Outstanding, Good, Requires improvement, Inadequate.
    Stages come in the order of a case (early intervention first); anything else sorts by name.
    Filter ``df`` to one audit first for a single audit's table.
    """
    graded = _graded(df)
    counts = (graded.groupby([by, "grade"]).size().unstack(fill_value=0)
              .reindex(columns=list(GRADES), fill_value=0))
    order = sorted(counts.index, key=_stage_order if by == "stage" else str)
    counts = counts.reindex(order).astype("int64")
    counts[TOTAL] = counts.sum(axis=1)
    counts.columns.name = None
    return counts


def grade_shares(distribution: pd.DataFrame) -> pd.DataFrame:
    """Each grade's share (0-1) of its row's total, from :func:`grade_distribution`."""
    return distribution[list(GRADES)].div(distribution[TOTAL], axis=0)


def good_or_better(df: pd.DataFrame) -> pd.DataFrame:
    """Per audit: date, theme, cases, gradings, how many Good or better, and their share."""
    graded = _graded(df).assign(good=lambda d: d["grade"].isin(GOOD_OR_BETTER))
    grouped = graded.groupby("audit_id", sort=False)
    out = pd.DataFrame({
        "audit_date": grouped["audit_date"].min(),
        "theme": grouped["theme"].first(),
        "cases": grouped["case_ref"].nunique(),
        "gradings": grouped.size(),
        "good_or_better": grouped["good"].sum(),
    })
    out["share"] = out["good_or_better"] / out["gradings"]
    return out.sort_values("audit_date", kind="stable")


def overall_good_or_better(df: pd.DataFrame) -> float | None:
    """The share of all gradings, across audits, that are Good or better (None if none)."""
    graded = _graded(df)
    return None if graded.empty else float(graded["grade"].isin(GOOD_OR_BETTER).mean())


# -------------------------------------------------------------------------- recurring themes

def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: Any) -> list[list[str]]:
    """The text's runs of content words, split where a common word or punctuation stood."""
    runs: list[list[str]] = [[]]
    for token in re.findall(r"[a-z][a-z-]*|[^a-z\s]", _text(text).lower().replace("'s", "")):
        if not token[0].isalpha() or token in STOPWORDS:
            runs.append([])
        else:
            runs[-1].append(_singular(token.strip("-")))
    return [run for run in runs if run]


def themes_in(text: Any) -> set[str]:
    """The single words and adjacent pairs of one text that may count as themes."""
    found: set[str] = set()
    for run in _words(text):
        found.update(word for word in run if word not in GENERIC and len(word) > 2)
        found.update(f"{a} {b}" for a, b in itertools.pairwise(run))
    return found


def recurring_themes(df: pd.DataFrame, min_audits: int = 2) -> pd.DataFrame:
    """Themes in areas for development found in at least ``min_audits`` different audits.

    Columns: theme, audits (how many), audit_ids (comma-separated), gradings (rows mentioning
    it), example (the area for development that mentions it most often among those no theme
    before it mentions, so that a reader sees "recorded" as "Voice of the child not recorded
    in the plan."). Most widespread first; pairs before single words. See the module notes for
    the method.
    """
    audits_of: dict[str, set[str]] = {}
    rows_of: dict[str, int] = {}
    texts_of: dict[str, dict[str, int]] = {}
    for audit_id, text in zip(df["audit_id"], df["areas_for_development"]):
        for theme in themes_in(text):
            audits_of.setdefault(theme, set()).add(_text(audit_id))
            rows_of[theme] = rows_of.get(theme, 0) + 1
            seen = texts_of.setdefault(theme, {})
            seen[_text(text)] = seen.get(_text(text), 0) + 1
    kept = {t: a for t, a in audits_of.items() if len(a) >= min_audits}
    pairs = [t for t in kept if " " in t]
    kept = {t: a for t, a in kept.items() if " " in t or not any(
        t in p.split() and kept[p] == a for p in pairs)}
    rows = [{"theme": t, "audits": len(a), "audit_ids": ", ".join(sorted(a)),
             "gradings": rows_of[t]} for t, a in kept.items()]
    out = pd.DataFrame(rows, columns=["theme", "audits", "audit_ids", "gradings"])
    out["words"] = out["theme"].str.count(" ") + 1
    out = out.sort_values(["audits", "words", "gradings", "theme"],
                          ascending=[False, False, False, True])
    listed: dict[str, str] = {}  # theme -> its example: the commonest text not yet shown
    for theme in out["theme"]:
        new = {text: n for text, n in texts_of[theme].items() if not any(
            k in themes_in(text) and audits_of[k] >= audits_of[theme] for k in listed)}
        if new:
            listed[theme] = max(new, key=new.get)
    out = out[out["theme"].isin(listed)].assign(example=lambda f: f["theme"].map(listed))
    return out.drop(columns="words").reset_index(drop=True)


# --------------------------------------------------------------- recommendations and actions

def recommendations(df: pd.DataFrame) -> pd.DataFrame:
    """Each audit's distinct recommendations (same text, ignoring case and punctuation, once),
    with the sheet row where it first appears."""
    rows = df[df["recommendation"].map(normalise) != ""]
    rows = rows.assign(key=rows["recommendation"].map(normalise), row=rows.index)
    first = rows.drop_duplicates(["audit_id", "key"])
    return first[["audit_id", "audit_date", "recommendation", "row", "key"]].reset_index(
        drop=True)


def _is_actioned(audit_id: str, key: str, action_texts: str) -> bool:
    """``action_texts``: every action's normalised finding and action, joined by newlines
    (which no normalised text holds, so a match never runs from one action into the next):
    one search instead of one per action."""
    named, quoted = f" {normalise(audit_id)} ", f" {key} "
    return named in action_texts or quoted in action_texts


def unactioned_recommendations(audits: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """Recommendations with no matching action in tblActions (each should have one).

    Matching, as explained in the module notes: an action names the audit id, or contains the
    recommendation's text, in its finding or action.
    """
    texts = "\n".join(f" {normalise(f)} | {normalise(a)} "
                      for f, a in zip(actions["finding"].tolist(), actions["action"].tolist()))
    recs = recommendations(audits)
    missing = pd.Series([not _is_actioned(_text(a), k, texts)
                         for a, k in zip(recs["audit_id"], recs["key"])], index=recs.index,
                        dtype=bool)
    return recs[missing].drop(columns="key").reset_index(drop=True)


# ---------------------------------------------------------------------------- validation

def looks_identifying(case_ref: Any) -> bool:
    """A case reference that looks like a person's name ('John Smith') or a 10-digit number
    such as an NHS number. Deliberately simple; the personal-data scan does the full job."""
    text = _text(case_ref)
    return bool(NAME_LIKE.search(text) or TEN_DIGITS.search(text))


def _row_key(row: Any) -> str:
    """Audit, agency and stage: the case reference is left out so that a case reference that
    is personal data is not copied into the findings."""
    return " / ".join(_text(v) for v in (row.audit_id, row.partner_id, row.stage))


def check(df: pd.DataFrame, letters: dict[str, str], today: dt.date,
          actions: pd.DataFrame | None = None, expected_cases: int = 4) -> list[dict]:
    """Cross-field rules for tblAudits; recommendations are checked when ``actions`` is given.

    ``expected_cases`` is the programme's cases per audit (the framework's 'approximately 4'); an
    audit more than one case away from it is a Warning.
    """
    today = today.date() if isinstance(today, dt.datetime) else today
    findings = []
    for row in df.itertuples():
        key = _row_key(row)
        if not pd.isna(row.audit_date) and row.audit_date.date() > today:
            findings.append(_finding(
                "Error", _cell(letters, "audit_date", row.Index), key, "date_in_future",
                f"Audit date {row.audit_date:%d/%m/%Y} is in the future: enter when the audit "
                "met."))
        if looks_identifying(row.case_ref):
            findings.append(_finding(
                "Warning", _cell(letters, "case_ref", row.Index), key, "case_ref_not_anonymised",
                "The case reference looks like a name or an NHS number: replace it with an "
                "anonymised reference such as C1."))
        grade = _GRADE_OF.get(normalise(row.grade))
        if grade in NEEDS_IMPROVEMENT and not _text(row.areas_for_development):
            findings.append(_finding(
                "Warning", _cell(letters, "areas_for_development", row.Index), key,
                "development_area_missing",
                f"Graded {grade} but no area for development is recorded: say what needs "
                "to improve."))
    findings += _case_count_findings(df, letters, expected_cases)
    if actions is not None:
        findings += _recommendation_findings(df, actions, letters)
    return findings


def _case_count_findings(df: pd.DataFrame, letters: dict[str, str],
                         expected: int) -> list[dict]:
    counts = cases_per_audit(df, expected)
    found = []
    off = ~counts["about_right"].astype(bool) & (counts["cases"] > 0)  # 0: a schema finding
    for audit_id, row in counts[off].iterrows():
        first = df.index[(df["audit_id"] == audit_id).fillna(False).astype(bool)][0]
        found.append(_finding(
            "Warning", _cell(letters, "audit_id", first), _text(audit_id),
            "audit_case_count",
            f"Audit {audit_id} covers {row['cases']} case(s) where about {expected} are "
            "expected: check that every case is entered."))
    return found


def _recommendation_findings(df: pd.DataFrame, actions: pd.DataFrame,
                             letters: dict[str, str]) -> list[dict]:
    found = []
    for rec in unactioned_recommendations(df, actions).itertuples():
        found.append(_finding(
            "Warning", _cell(letters, "recommendation", rec.row), _text(rec.audit_id),
            "recommendation_without_action",
            f"Audit {rec.audit_id}'s recommendation has no action on the Actions sheet: add an "
            "action that names the audit or quotes the recommendation."))
    return found
