"""qa-xl validate: one seeded error of each kind gives exactly that finding, in the right cell."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from qa_xl.cli import main
from qa_xl.validation import validate
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import HEADER_ROW, new

TODAY = dt.date(2026, 11, 25)
FIRST = HEADER_ROW + 2  # the sheet row of a table's first data row


def cell(schema: S.TableSchema, column: str, i: int) -> str:
    return f"{S.column_letter(schema.names.index(column) + 1)}{FIRST + i}"


def indicator(config, aggregation: str, partner_id: str):
    return next(i for i in config.indicators if i.aggregation == aggregation
                and i.frequency == "Quarterly" and partner_id in config.partners_for(i))


def frame(schema: S.TableSchema, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([[r.get(n) for n in schema.names] for r in rows], columns=schema.names,
                        dtype=object)


def risk(**changes) -> dict:
    base = {"risk_id": "R01", "title": "Returns late", "owner": "Business manager",
            "likelihood": 3, "impact": 4, "score": 12, "previous_score": 12, "target_score": 6,
            "next_review": dt.date(2027, 1, 31), "status": "Open"}
    return {**base, **changes}


def ret(ind, **changes) -> dict:
    base = {"period": "2026-27 Q1", "indicator_id": ind.indicator_id, "submitted_by": "Lead",
            "submitted_on": dt.date(2026, 7, 20)}
    if ind.aggregation == "ratio":
        base |= {"value": 0.75, "numerator": 30, "denominator": 40}
    else:
        base |= {"value": 120}
    return {**base, **changes}


@pytest.fixture
def seeded(tmp_path, config):
    pid = config.partners[0].partner_id
    ratio, total = indicator(config, "ratio", pid), indicator(config, "sum", pid)
    rs = S.return_schema(pid)
    returns = [
        ret(total),                                                       # 0 clean
        ret(ratio, numerator=50, value=1.25),                             # 1 num > den
        ret(ratio, period="2026-27 Q2", value=0.5),                       # 2 value != num/den
        ret(total, period="2026-27 Q2", value=None),                      # 3 no value, no comment
        ret(total, period="2026-27 Q3", indicator_id="NOPE1"),            # 4 unknown indicator
        ret(total, period="2026-27 Q4", commentary="Child NHS 943 476 5919 seen"),  # 5 NHS no.
        ret(total),                                                       # 6 duplicate of 0
        ret(total, period="2026 Q1"),                                     # 7 bad period
        ret(total, period="2025-26 Q1", value="lots", commentary="x"),    # 8 text in a number
    ]
    risks = [
        risk(),                                                           # 0 clean
        risk(risk_id="R02", likelihood="high"),                           # 1 type
        risk(risk_id="R03", impact=7),                                    # 2 range
        risk(risk_id="R04", status=None),                                 # 3 required
        risk(risk_id="R05", next_review=dt.date(2026, 1, 1)),            # 4 review overdue
        risk(risk_id="R 06"),                                             # 5 identifier
    ]
    data = {rs.table: frame(rs, returns), S.RISKS.table: frame(S.RISKS, risks)}
    path = new(tmp_path / "QA_Master.xlsx", config, data=data)
    expected = {
        ("Error", rs.sheet, cell(rs, "numerator", 1), "numerator_le_denominator"),
        ("Error", rs.sheet, cell(rs, "value", 2), "ratio_value"),
        ("Error", rs.sheet, cell(rs, "commentary", 3), "commentary_required"),
        ("Error", rs.sheet, cell(rs, "indicator_id", 4), "unknown_indicator"),
        ("Warning", rs.sheet, cell(rs, "commentary", 5), "personal_data"),
        ("Error", rs.sheet, cell(rs, "indicator_id", 6), "unique"),
        ("Error", rs.sheet, cell(rs, "period", 7), "period"),
        ("Error", rs.sheet, cell(rs, "value", 8), "type"),
        ("Error", "Risks", cell(S.RISKS, "likelihood", 1), "type"),
        ("Error", "Risks", cell(S.RISKS, "impact", 2), "range"),
        ("Error", "Risks", cell(S.RISKS, "status", 3), "required"),
        ("Error", "Risks", cell(S.RISKS, "next_review", 4), "review_overdue"),
        ("Error", "Risks", cell(S.RISKS, "risk_id", 5), "identifier"),
    }
    return path, expected


def _found(findings: pd.DataFrame) -> set[tuple]:
    return set(map(tuple, findings[["severity", "sheet", "cell", "check"]].values.tolist()))


def test_each_seeded_error_is_found_in_its_cell(seeded):
    path, expected = seeded
    before = path.read_bytes()
    findings = validate(path, today=TODAY)
    assert _found(findings) == expected
    assert path.read_bytes() == before, "validate without --write must not touch the file"


def test_a_clean_workbook_has_no_findings(master):
    assert validate(master, today=TODAY).empty


def test_the_demo_workbook_has_no_errors(demo_master):
    findings = validate(demo_master)
    assert not (findings["severity"] == "Error").any(), findings.head(20).to_string()


def test_write_records_findings_on_the_validation_sheet(seeded):
    from qa_xl.workbook.filestore import FileStore
    from qa_xl.workbook.store import read_table

    path, expected = seeded
    validate(path, today=TODAY, write=True)
    store = FileStore(path)
    table = read_table(store, S.VALIDATION).df
    assert _found(table.rename(columns=str)) == expected
    start = store.sheet_values("Start")
    assert any("Validate" in str(v) for row in start for v in row)


def test_cli_exit_status_and_json(seeded, capsys):
    path, expected = seeded
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(path), "--json"])
    assert exit_.value.code == 1
    printed = json.loads(capsys.readouterr().out)
    assert {(f["severity"], f["sheet"], f["cell"], f["check"]) for f in printed} == expected


def test_cli_prints_sheet_cell_and_message(seeded, capsys):
    path, _ = seeded
    with pytest.raises(SystemExit):
        main(["validate", str(path)])
    text = capsys.readouterr().out
    assert "Risks!" in text and "numerator" in text and "QA_Master.xlsx" in text


def test_cli_clean_exit_zero(master):
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(master)])
    assert exit_.value.code == 0


def test_the_template_placeholder_secret_is_a_warning():
    from pathlib import Path

    template = Path(__file__).resolve().parents[1] / "workbook" / "QA_Master.xlsm"
    findings = validate(template)
    assert findings["check"].tolist() == ["placeholder_secret"]
    assert findings["severity"].tolist() == ["Warning"]


def test_an_address_no_mail_server_would_take_is_a_warning_in_its_cell(master):
    """The chase could not reach these partners: validate says so first (several addresses
    in one cell, separated by ;, are fine)."""
    from qa_xl.workbook.filestore import FileStore
    from qa_xl.workbook.store import read_table
    from qa_xl.workbook.xlsxparts import write_workbook

    df = read_table(FileStore(master), S.PARTNERS).df
    column = S.column_letter(S.PARTNERS.names.index("email") + 1)
    rows = list(df.index[:4])
    typed = ["a@example.org; b@example.org", "x@example.org\r\nBcc: y@evil.example",
             "call Jo on extension 4", "zoë@example.org"]
    write_workbook(master, cells={S.PARTNERS.sheet: {f"{column}{r}": t
                                                     for r, t in zip(rows, typed)}},
                   backup=False)
    found = validate(master, today=TODAY)
    emails = found[found["check"] == "email"]
    assert set(emails["cell"]) == {f"{column}{r}" for r in rows[1:]}
    assert set(emails["severity"]) == {"Warning"} and set(emails["sheet"]) == {"Partners"}
