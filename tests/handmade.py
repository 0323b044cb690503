"""Hand-built master workbooks for the papers' tests: a few partners and indicators whose
figures are chosen so that the right answer can be worked out by hand.

The workbook is made by ``qa-xl new``'s own code from a real configuration file (partners and
indicators replaced, everything else the framework's) and the rows given, so the papers read
it exactly as they read an officer's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.framework import load_config
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import new

TODAY = dt.date(2026, 11, 11)  # six weeks after 2026-27 Q2


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)


def indicator(ind_id: str, name: str, *, aggregation: str = "sum", polarity: str =
              "Higher is better", target: float | None = None, tolerance: float | None = None,
              unit: str | None = None, oba: str = "Is anyone better off?",
              frequency: str = "Quarterly", partners: str = "alpha, beta",
              content_area: str = "", definition: str = "") -> dict[str, Any]:
    row = {"indicator_id": ind_id, "indicator_name": name, "oba_measure": oba,
           "content_area": content_area, "source": "Other organisational activity and "
           "management information", "unit": unit or ("Percentage" if aggregation == "ratio"
                                                       else "Count"),
           "aggregation": aggregation, "polarity": polarity, "frequency": frequency,
           "reporting_partners": partners, "definition": definition or f"{name}.",
           "what_good_looks_like": ""}
    if target is not None:
        row["target"] = target
    if tolerance is not None:
        row["amber_tolerance"] = tolerance
    return row


PARTNERS = [
    {"partner_id": "alpha", "name": "Alpha Police", "sector": "Police", "lead": "Head of "
     "Public Protection", "email": "", "returns_expected": True},
    {"partner_id": "beta", "name": "Beta Health Trust", "sector": "Health", "lead": "Named "
     "Nurse", "email": "", "returns_expected": True},
]


def config_text(indicators: list[dict[str, Any]], partners: list[dict[str, Any]] | None = None,
                names: dict[str, str] | None = None, settings: dict[str, Any] | None = None
                ) -> str:
    lines = []
    if names:
        lines.append("[names]")
        lines += [f"{k} = {toml_value(v)}" for k, v in names.items()]
    lines.append("[settings]")
    merged = {"current_period": "2026-27 Q2", "next_qpc_meeting": dt.date(2026, 12, 8),
              "following_qpc_meeting": dt.date(2027, 3, 9),
              "next_board_meeting": dt.date(2027, 1, 12), **(settings or {})}
    lines += [f"{k} = {toml_value(v)}" for k, v in merged.items()]
    for p in partners or PARTNERS:
        lines.append("[[partners]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in p.items()]
    for ind in indicators:
        lines.append("[[indicators]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in ind.items()]
    return "\n".join(lines) + "\n"


def returns_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (period, indicator_id, value, numerator, denominator[, commentary,
    submitted_on]) as a partner's return table."""
    out = []
    for row in rows:
        period, ind, value, num, den, *rest = row
        commentary = rest[0] if rest else None
        submitted = rest[1] if len(rest) > 1 else _submitted(period)
        out.append({"period": period, "indicator_id": ind, "value": value, "numerator": num,
                    "denominator": den, "commentary": commentary,
                    "submitted_by": "Performance lead", "submitted_on": pd.Timestamp(submitted)})
    return pd.DataFrame(out, columns=[c.name for c in S.RETURN_COLUMNS])


def _submitted(period: str) -> dt.date:
    from qa_xl.core.periods import Period

    return Period.parse(period).end + dt.timedelta(days=20)


def hand_workbook(folder: Path, indicators: list[dict[str, Any]],
                  returns: dict[str, list[tuple]], *,
                  partners: list[dict[str, Any]] | None = None,
                  names: dict[str, str] | None = None, settings: dict[str, Any] | None = None,
                  tables: dict[str, pd.DataFrame] | None = None,
                  name: str = "QA_Master.xlsx") -> Path:
    """A master workbook with these indicators and partners' returns (partner_id -> rows,
    see :func:`returns_frame`) and any other tables' rows."""
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / "config.toml"
    config_path.write_text(config_text(indicators, partners, names, settings), "utf-8")
    config = load_config(config_path, today=TODAY)
    data = {f"tblReturn_{pid}": returns_frame(rows) for pid, rows in returns.items()}
    data.update(tables or {})
    return new(folder / name, config, data=data, secret="5a17" * 16,
               workbook_id="00000000-0000-0000-0000-000000000000")


def frame(schema: S.TableSchema, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([[r.get(n) for n in schema.names] for r in rows], columns=schema.names)
