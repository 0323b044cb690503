"""The master workbook as the returns see it, and what every return is: its layout, its
signature and the rows it carries.

A return carries hidden metadata (partner, period, template version, the master's id) and an
HMAC-SHA256 signature made with a secret that only the master workbook holds, so a return
cannot be imported as another partner's, another period's or another workbook's. Issuing
(:mod:`qa_xl.collect.issue`) and importing (:mod:`qa_xl.collect.importing`) share this one
description of a return.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.core.errors import UnusableInput
from qa_xl.core.periods import FREQUENCY_OF, Period
from qa_xl.workbook import schema as S
from qa_xl.workbook.store import Store, read_returns, read_settings, read_table

TEMPLATE_VERSION = "1"
ABOUT_SHEET = "About"
META_KEYS = ("partner_id", "period", "template_version", "workbook_id", "token")
HEADER_ROW = 6  # 0-based: the table header is on row 7, under the how-to and sign-off cells
SIGN_OFF = {"submitted_by": (3, "Completed by"), "submitted_on": (4, "Date completed")}
ACCEPTED, REFUSED = "Accepted", "Refused"


# ------------------------------------------------------------------------------- the master

@dataclass
class Master:
    """What issuing and importing need from the master workbook, read once."""

    store: Store
    settings: dict[str, Any]
    partners: pd.DataFrame
    indicators: pd.DataFrame
    returns: pd.DataFrame  # every partner's rows, with partner_id

    @classmethod
    def read(cls, store: Store) -> Master:
        return cls(store, read_settings(store), read_table(store, S.PARTNERS).df,
                   read_table(store, S.INDICATORS).df, read_returns(store).df)

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


def token(secret: str, workbook_id: str, partner_id: str, period: str,
          version: str = TEMPLATE_VERSION) -> str:
    """The signature of a return: HMAC-SHA256 over what identifies it."""
    message = "|".join((workbook_id, partner_id, period, version)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def open_store(workbook: str | Path | Store) -> Store:
    from qa_xl.workbook.filestore import FileStore

    return FileStore(workbook) if isinstance(workbook, str | Path) else workbook


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


