"""The master workbook as the returns see it, and what every return is: its layout, its
signature and the rows it carries.

A return carries hidden metadata — partner, period, template version, the master's id, its
own serial and time of issue, and a digest of every row as issued (period, indicator id and the
locked text, in order) — signed with HMAC-SHA256 using a secret that only the master workbook
holds. So a return cannot be imported as another partner's, period's or workbook's, and a row
relabelled, swapped, added or removed after issue breaks the signature. Issuing
(:mod:`qa_xl.collect.issue`) and importing (:mod:`qa_xl.collect.importing`) share this one
description of a return.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qa_xl.core.errors import UnusableInput
from qa_xl.core.periods import FREQUENCY_OF, Period, period_or_none
from qa_xl.workbook import schema as S
from qa_xl.workbook.store import Store, read_returns, read_settings, read_table

TEMPLATE_VERSION = "2"
ABOUT_SHEET = "About"
# What the signature covers, by template version: version 1 (qa_xl 0.1) signed only who and
# when; version 2 also binds the issue (serial, time) and every row as issued.
SIGNED = {
    "1": ("workbook_id", "partner_id", "period", "template_version"),
    "2": ("workbook_id", "partner_id", "period", "template_version", "serial", "issued_at",
          "rows"),
}
META_KEYS = (*SIGNED[TEMPLATE_VERSION], "token")
LOCKED = tuple(c.name for c in S.ISSUED_RETURN.columns if c.locked)
HEADER_ROW = 6  # 0-based: the table header is on row 7, under the how-to and sign-off cells
SIGN_OFF = {"submitted_by": (3, "Completed by"), "submitted_on": (4, "Date completed")}
ACCEPTED, REFUSED = "Accepted", "Refused"
MAX_TEXT = 2000  # characters of commentary a return takes (its own validation says so too)
MAX_NAME = 100  # characters of "Completed by"


# ------------------------------------------------------------------------------- the master

@dataclass
class Master:
    """What issuing and importing need from the master workbook, read once."""

    store: Store
    settings: dict[str, Any]
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
        df = table.df
        canonical = df["period"].map(lambda p: str(q) if (q := period_or_none(p)) else None)
        mask = (df["partner_id"] == partner_id) & canonical.isin(periods)
        return sorted(table.origin[i][1] for i in df.index[mask.fillna(False).astype(bool)])

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
    return str(value).replace("\r\n", "\n")


def rows_digest(rows: Iterable[Iterable[Any]]) -> str:
    """SHA-256 over each issued row's locked cells (:data:`LOCKED`), in order."""
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


def issued_rows(master: Master, partner_id: str, period: Period) -> pd.DataFrame:
    """The rows of one partner's return: its indicators due in the period, previous figure
    alongside."""
    sending = set(master.partners.loc[
        master.partners["returns_expected"].fillna("Yes").str.casefold() != "no",
        "partner_id"].dropna())
    due = periods_due(period)
    own = master.returns[master.returns["partner_id"] == partner_id]
    previous = {(r.indicator_id, r.period): r.value for r in own.itertuples()}
    rows = []
    for ind in master.indicators.dropna(subset=["indicator_id"]).itertuples():
        kind = next((k for k, f in FREQUENCY_OF.items() if f == ind.frequency), None)
        if kind not in due or not reports(ind.reporting_partners, partner_id, sending):
            continue
        p = due[kind]
        rows.append([str(p), ind.indicator_id, ind.indicator_name, ind.oba_measure, ind.unit,
                     ind.definition, previous.get((ind.indicator_id, str(p.previous()))),
                     None, None, None, None])
    return pd.DataFrame(rows, columns=S.ISSUED_RETURN.names)


