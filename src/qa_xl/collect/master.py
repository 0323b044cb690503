"""The master workbook as the forms see it, and what every form is: its layout, its
signature and the rows it carries.

A *form* (:class:`Form`) is what qa_xl issues to an organisation and imports back: the
quarterly return, the Section 11 self-assessment and the Section 175/157 audit. Each is a
protected table of rows (its schema: the locked columns qa_xl writes, the input columns the
organisation fills in), the signed details that say whose it is and for when, and the master
table it lands in. Issuing (:mod:`qa_xl.collect.issue`) and importing
(:mod:`qa_xl.collect.importing`) are written once, for every form.

A return carries hidden metadata — partner, period, template version, the master's id, its
own serial and time of issue, and a digest of every row as issued (period, indicator id and the
locked text, in order) — signed with HMAC-SHA256 using a secret that only the master workbook
holds. So a return cannot be imported as another partner's, period's or workbook's, and a row
relabelled, swapped, added or removed after issue breaks the signature. Since version 3 a
return also carries a second table, the voice of children and families (:class:`Part`), whose
questions are signed the same way. Issuing (:mod:`qa_xl.collect.issue`) and importing
(:mod:`qa_xl.collect.importing`) share this one description of a return.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from qa_xl.core.errors import UnusableInput
from qa_xl.core.periods import FREQUENCY_OF, Period, period_or_none
from qa_xl.workbook import schema as S
from qa_xl.workbook.store import Store, read_lists, read_returns, read_settings, read_table

TEMPLATE_VERSION = "3"
ABOUT_SHEET = "About"
# What the signature covers, by template version: version 1 (qa_xl 0.1) signed only who and
# when; version 2 also binds the issue (serial, time) and every row as issued; version 3 also
# every row of the voice table (its questions) as issued.
SIGNED = {
    "1": ("workbook_id", "partner_id", "period", "template_version"),
    "2": ("workbook_id", "partner_id", "period", "template_version", "serial", "issued_at",
          "rows"),
    "3": ("workbook_id", "partner_id", "period", "template_version", "serial", "issued_at",
          "rows", "voice"),
    # a self-assessment form: whose (organisation), which form and cycle, and every row
    "sa1": ("workbook_id", "form", "organisation", "cycle", "template_version", "serial",
            "issued_at", "rows"),
}
# The hidden details every return carries, whatever its version (a version 3 return also
# carries "voice": :func:`qa_xl.collect.package.metadata` asks a file for its own version's).
META_KEYS = (*SIGNED["2"], "token")


class _Cells:
    """A form's table as the engine sees it: the locked columns qa_xl writes and the
    signature binds, and the input columns the organisation fills in."""

    schema: S.TableSchema

    @property
    def locked(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.schema.columns if c.locked)

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.schema.columns if not c.locked)


@dataclass(frozen=True)
class Part(_Cells):
    """A second table a form carries on its sheet (the return's voice table): its schema,
    the signed detail that holds the digest of its locked cells as issued, and how the
    messages name those cells."""

    schema: S.TableSchema
    signed: str
    locked_words: str = ""


@dataclass(frozen=True)
class Form(_Cells):
    """What one kind of form is to the engine that issues and imports it.

    ``schema`` is the table the organisation fills in (its locked columns are written by
    qa_xl and bound by the signature; the others are input cells); ``template_version`` picks
    the signed details (:data:`SIGNED`); ``who``/``when`` are the signed keys naming the
    organisation and the period or cycle; ``master_table`` is where accepted rows land and
    ``master_key`` what makes one unique there."""

    code: str  # "return", "s11", "s175"
    title: str
    schema: S.TableSchema
    template_version: str
    who: str  # the signed key naming the organisation
    when: str  # the signed key naming the period or cycle
    master_table: str
    master_key: tuple[str, ...]
    noun: str = "return"  # how the messages name one ("return", "form")
    locked_words: str = ""  # the locked cells as the messages name them
    older: tuple[str, ...] = ()  # earlier template versions it still imports
    parts: tuple[Part, ...] = ()  # more tables on its sheet, read in the same pass

    @property
    def meta_keys(self) -> tuple[str, ...]:
        """The hidden details every file of this form carries, whichever version it is (a
        file of a newer version is also asked for its own: see ``metadata``)."""
        return (*SIGNED[self.older[-1] if self.older else self.template_version], "token")

    @property
    def versions(self) -> tuple[str, ...]:
        return (self.template_version, *self.older)


VOICE_PART = Part(S.ISSUED_VOICE, "voice", locked_words="the voice questions")
RETURN = Form("return", "Partner return", S.ISSUED_RETURN, TEMPLATE_VERSION, "partner_id",
              "period", "tblReturn_<partner_id>", ("partner_id", "period", "indicator_id"),
              locked_words="period, indicator, name, definition, previous figure",
              older=("1", "2"), parts=(VOICE_PART,))
LOCKED = RETURN.locked
HEADER_ROW = 6  # 0-based: the table header is on row 7, under the how-to and sign-off cells
# 0-based column where the return's voice table starts: under the definition, so the question,
# counts and story take the widths of the definition, figures and commentary above
VOICE_COLUMN = S.ISSUED_RETURN.names.index("definition")
VOICE_HEADING = "The voice of children and families"  # over the voice table, under the figures
SIGN_OFF = {"submitted_by": (3, "Completed by"), "submitted_on": (4, "Date completed")}
ACCEPTED, REFUSED = "Accepted", "Refused"
MAX_TEXT = 2000  # characters of commentary a return takes (its own validation says so too)
MAX_NAME = 100  # characters of "Completed by"


# ------------------------------------------------------------------------------- the master

@dataclass
class MasterBook:
    """What every form needs from the master: its settings, and the secret and id that sign
    the forms it issues."""

    store: Store
    settings: dict[str, Any]

    def secret(self) -> str:
        secret = str(self.settings.get("return_secret") or "")
        if len(secret) < 32:
            raise UnusableInput("the setting return_secret is missing or too short, so "
                                "returns cannot be signed", file=self.store.label,
                                sheet="Config", action="make the workbook with qa-xl new, or "
                                "copy return_secret from a backup")
        if len(set(secret)) == 1:  # the committed template's placeholder: anyone could sign
            raise UnusableInput("the setting return_secret is still the template's "
                                "placeholder, so anyone could forge a return",
                                file=self.store.label, sheet="Config",
                                action="make your master with qa-xl new (it sets a secret of "
                                "its own), or paste a long random value into return_secret")
        return secret

    @property
    def workbook_id(self) -> str:
        return str(self.settings.get("workbook_id") or "")


@dataclass
class Master(MasterBook):
    """What issuing and importing returns need from the master workbook, read once."""

    partners: pd.DataFrame
    indicators: pd.DataFrame
    returns: pd.DataFrame  # every partner's rows, with partner_id

    returns_table: S.Table | None = None  # the same rows, with the way back to their cells
    tables: list[S.Table] = field(default_factory=list)  # what it was read from, to check

    @classmethod
    def read(cls, store: Store) -> Master:
        config, partners, indicators = (read_table(store, S.CONFIG),
                                        read_table(store, S.PARTNERS),
                                        read_table(store, S.INDICATORS))
        returns = read_returns(store)
        return cls(store, read_settings(store), partners.df, indicators.df, returns.df,
                   returns, [config, partners, indicators])

    def rows_of(self, partner_id: str, periods: set[str]) -> list[int]:
        """The sheet rows of a partner's return table holding figures for these periods
        (however the period is spelt), which an import of those periods replaces."""
        table = self.returns_table
        if table is None or table.origin is None:
            return []
        return sorted(table.origin[i][1] for i, period in self._rows_by_partner.get(
            partner_id, ()) if period in periods)

    @cached_property
    def _rows_by_partner(self) -> dict[str, list[tuple[int, str | None]]]:
        """partner -> (row of the stitched return table, its period in one spelling)."""
        out: dict[str, list[tuple[int, str | None]]] = {}
        for i, pid, period in zip(self.returns.index, self.returns["partner_id"],
                                  self._canonical_periods):
            out.setdefault(pid, []).append((i, period))
        return out

    @cached_property
    def ratio_ids(self) -> set[str]:
        """The indicators that are rates (numerator over denominator)."""
        ind = self.indicators
        return set(ind.loc[ind["aggregation"] == "ratio", "indicator_id"].dropna())

    @cached_property
    def _canonical_periods(self) -> pd.Series:
        """Each return row's period in its one spelling (parsed once per distinct text)."""
        periods = self.returns["period"]
        spelling = {p: str(q) if (q := period_or_none(p)) else None
                    for p in periods.dropna().unique()}
        return periods.map(spelling)

    @cached_property
    def previous(self) -> dict[str, dict[tuple[str, str], Any]]:
        """partner -> (indicator, period) -> value: each partner's earlier figures."""
        out: dict[str, dict[tuple[str, str], Any]] = {}
        for pid, ind, period, value in zip(self.returns["partner_id"],
                                           self.returns["indicator_id"],
                                           self.returns["period"], self.returns["value"]):
            out.setdefault(pid, {})[(ind, period)] = value
        return out

    @cached_property
    def indicator_rows(self) -> list[tuple[str | None, set[str] | None, Any]]:
        """Each indicator once: its period kind, its reporting partners (None: all that send
        returns) and its row — what :func:`issued_rows` needs, worked out once a job."""
        out = []
        for ind in self.indicators.dropna(subset=["indicator_id"]).itertuples():
            kind = next((k for k, f in FREQUENCY_OF.items() if f == ind.frequency), None)
            text = "" if pd.isna(ind.reporting_partners) else str(ind.reporting_partners).strip()
            reporting = None if not text or text.casefold() == "all" else {
                p.strip() for p in text.split(",")}
            out.append((kind, reporting, ind))
        return out

    @cached_property
    def held_sign_off(self) -> dict[tuple[str, str], Any]:
        """(partner, period) -> the latest "Date completed" of the figures the master holds."""
        dated = self.returns.dropna(subset=["submitted_on"])
        return dated.groupby(["partner_id", "period"])["submitted_on"].max().to_dict()

    @cached_property
    def sending(self) -> set[str]:
        """The partners expected to send returns."""
        return set(self.partners.loc[
            self.partners["returns_expected"].fillna("Yes").str.casefold() != "no",
            "partner_id"].dropna())

    @cached_property
    def voice_questions(self) -> list[str]:
        """The voice questions as the master's Lists sheet holds them (the framework's three,
        or the Board's own wording): what a return asks and tblVoice is checked against."""
        return list(dict.fromkeys(read_lists(self.store).get("voice_question", [])))

    @cached_property
    def voice(self) -> S.Table:
        """tblVoice as it stands (officers' typed rows and earlier returns' answers), read
        only by an import that brings voice answers."""
        return read_table(self.store, S.VOICE)

    def partner(self, partner_id: str) -> pd.Series:
        match = self.partners[self.partners["partner_id"] == partner_id]
        if match.empty:
            raise UnusableInput(f"there is no partner {partner_id!r} on the Partners sheet",
                                file=self.store.label, action="check the partner_id")
        return match.iloc[0]


def canonical(value: Any) -> str:
    """A cell as the text the signature covers: numbers in one spelling whether they come back
    as 12, 12.0 or 1.2e1, blanks as nothing, text exactly as written."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format(float(value), ".15g")
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value, dt.time()):
        return value.date().isoformat()  # a date issued as a date-time reads back as a date
    return str(value).replace("\r\n", "\n")


def rows_digest(rows: Iterable[Iterable[Any]]) -> str:
    """SHA-256 over each issued row's locked cells (:attr:`Form.locked`), in order."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([canonical(v) for v in row]).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def token(secret: str, meta: dict[str, str]) -> str:
    """The signature of a return: HMAC-SHA256 over the fields its version signs."""
    fields = SIGNED.get(meta.get("template_version", ""), SIGNED[TEMPLATE_VERSION])
    message = "|".join(str(meta.get(key, "")) for key in fields).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def reports(reporting: Any, partner_id: str, sending: set[str]) -> bool:
    text = "" if pd.isna(reporting) else str(reporting).strip()
    if not text or text.casefold() == "all":
        return partner_id in sending
    return partner_id in {p.strip() for p in text.split(",")}


def periods_due(period: Period) -> dict[str, Period]:
    """The period of each frequency reported in a return for ``period``: a quarter's return
    also carries the half-yearly and annual figures of the half-year or year it closes."""
    due = {"Q": period} if period.kind == "Q" else {period.kind: period}
    for kind in ("H", "Y"):
        if period.kind == "Q" or (period.kind == "H" and kind == "Y"):
            whole = Period.containing(period.end, kind)
            if whole.end == period.end:
                due[kind] = whole
    return due


def _due_indicators(master: Master, partner_id: str, period: Period) -> list[tuple[Period, Any]]:
    due = periods_due(period)
    return [(due[kind], ind) for kind, reporting, ind in master.indicator_rows
            if kind in due and (partner_id in master.sending if reporting is None
                                else partner_id in reporting)]


def expected_keys(master: Master, partner_id: str, period: Period) -> set[tuple[str, str]]:
    """(period, indicator_id) of every row a partner's return for the period carries."""
    return {(str(p), ind.indicator_id) for p, ind in _due_indicators(master, partner_id, period)}


def issued_rows(master: Master, partner_id: str, period: Period) -> pd.DataFrame:
    """The rows of one partner's return: its indicators due in the period, previous figure
    alongside."""
    previous = master.previous.get(partner_id, {})
    rows = []
    for p, ind in _due_indicators(master, partner_id, period):
        rows.append([str(p), ind.indicator_id, ind.indicator_name, ind.oba_measure, ind.unit,
                     ind.definition, previous.get((ind.indicator_id, str(p.previous()))),
                     None, None, None, None])
    return pd.DataFrame(rows, columns=S.ISSUED_RETURN.names)


def issued_voice(master: Master) -> pd.DataFrame:
    """The rows of a return's voice table: one per voice question, the counts and story
    left for the partner."""
    return pd.DataFrame([[q, None, None, None, None, None] for q in master.voice_questions],
                        columns=S.ISSUED_VOICE.names)
