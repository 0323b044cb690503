"""Partner returns: issue, fill (as a partner would, with openpyxl), import, roll up.

Nothing lost, nothing doubled; every bad return refused with a message naming the file (and
cell), leaving the master byte-identical.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from python_calamine import CalamineWorkbook

from conftest import TEST_SECRET
from qa_xl.cli import main
from qa_xl.collect.consolidate import rollup
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.core.errors import UnusableInput
from qa_xl.example import fill_return
from qa_xl.workbook import schema as S
from qa_xl.workbook.build import new
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_returns, read_table

PERIOD = "2026-27 Q1"


def issued(path: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(path), load_tables=True).get_table_by_name(
        "tblReturn").to_python()


def figures_for(path: Path, seed: int) -> dict[tuple[str, str], dict]:
    """Plausible figures for every row of an issued return, different per partner."""
    out = {}
    for i, (period, ind, *_rest) in enumerate(issued(path)):
        unit = _rest[2]
        if unit == "Percentage":
            den = 40 + 7 * seed + i
            out[(period, ind)] = {"numerator": den // 2 + seed, "denominator": den,
                                  "commentary": "Checked by the performance team."}
        else:
            out[(period, ind)] = {"value": 100 + 10 * seed + i,
                                  "commentary": "Checked by the performance team."}
    return out


@pytest.fixture
def issued_returns(master, tmp_path) -> dict[str, Path]:
    files = issue_returns(master, PERIOD, tmp_path / "returns")
    return {f.name.split(f"_{PERIOD.replace(' ', '_')}")[0]: f for f in files}


def test_issued_return_layout(issued_returns, config):
    path = next(iter(issued_returns.values()))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Return", "About"]
    assert book["About"].sheet_state == "veryHidden"
    ws = book["Return"]
    assert ws.protection.sheet and not ws.protection.password
    table = ws.tables["tblReturn"]
    header = [c.value for c in ws[table.ref][0]]
    assert header == S.ISSUED_RETURN.names
    first = ws[table.ref][1]
    for col, cell in zip(S.ISSUED_RETURN.columns, first):
        assert cell.protection.locked == col.locked, col.name
    prompts = {dv.prompt for dv in ws.data_validations.dataValidation}
    assert any("numerator" in (p or "") for p in prompts)
    with zipfile.ZipFile(path) as z:  # the master's secret (the fixture's) never travels
        assert not any(TEST_SECRET.encode() in z.read(n) for n in z.namelist())


def test_only_the_partners_indicators_for_the_period(issued_returns, config):
    for pid, path in issued_returns.items():
        ids = {row[1] for row in issued(path)}
        expected = {i.indicator_id for i in config.indicators
                    if pid in config.partners_for(i) and i.frequency == "Quarterly"}
        assert ids == expected, pid


def test_round_trip_gives_the_figures_worked_out_independently(master, issued_returns,
                                                               config):
    missing_partner = sorted(issued_returns)[-1]
    filled = {}
    for seed, (pid, path) in enumerate(sorted(issued_returns.items())):
        figures = figures_for(path, seed)
        fill_return(path, figures, f"Lead {pid}", dt.date(2026, 7, 20))
        if pid != missing_partner:
            filled[pid] = figures
    report = import_returns(master, [issued_returns[p] for p in filled])
    assert report.exit_code == 0, report.lines()
    result = rollup(master)
    table = result.rollup.set_index(["indicator_id", "period"])
    checked = set()
    for ind in config.indicators:
        if ind.frequency != "Quarterly":
            continue
        mine = [f[(PERIOD, ind.indicator_id)] for f in filled.values()
                if (PERIOD, ind.indicator_id) in f]
        row = table.loc[(ind.indicator_id, PERIOD)]
        assert row["partners_reported"] == len(mine)
        if not mine:
            assert row["rag"] == "No data"
            continue
        if ind.aggregation == "ratio":
            num = sum(m["numerator"] for m in mine)
            den = sum(m["denominator"] for m in mine)
            assert row["value"] == pytest.approx(num / den)
            averaged = sum(m["numerator"] / m["denominator"] for m in mine) / len(mine)
            if len(mine) > 1:
                assert row["value"] != pytest.approx(averaged, abs=1e-6)
            checked.add("ratio")
        elif ind.aggregation == "sum":
            assert row["value"] == sum(m["value"] for m in mine)
            checked.add("sum")
        if ind.target is None:
            assert row["rag"] == "No target"
            checked.add("no target")
        elif ind.polarity == "Lower is better":
            value, target = row["value"], ind.target
            tol = ind.amber_tolerance or 0
            expected = "Green" if value <= target else "Amber" if value <= target + tol else "Red"
            assert row["rag"] == expected
            checked.add("lower")
        if any(missing_partner in config.partners_for(ind) for _ in [0]):
            assert row["partners_expected"] > row["partners_reported"] or not mine
    assert checked >= {"ratio", "sum", "no target"}


def _tables(master: Path) -> dict[str, pd.DataFrame]:
    store = FileStore(master)
    return {"returns": read_returns(store).df, "log": read_table(store, S.IMPORT_LOG).df}


def test_reimport_changes_nothing_and_a_correction_replaces(master, issued_returns):
    path = issued_returns["police"]
    figures = figures_for(path, 1)
    fill_return(path, figures, "DI Jones", dt.date(2026, 7, 21))
    import_returns(master, [path])
    first = _tables(master)
    before = master.read_bytes()
    again = import_returns(master, [path])
    assert again.exit_code == 0 and not again.written
    assert master.read_bytes() == before  # the same file again: nothing to change
    assert "already imported" in again.results[0].result and "nothing changed" in " ".join(
        again.lines())
    key = next(iter(figures))
    corrected = {key: {**figures[key], "commentary": "Corrected figure"}}
    if "value" in figures[key]:
        corrected[key]["value"] = figures[key]["value"] + 1
    fill_return(path, corrected)
    import_returns(master, [path])
    tables = _tables(master)
    third = tables["returns"]
    assert len(third) == len(first["returns"])
    assert len(tables["log"]) == len(first["log"]) + 2  # the unchanged attempt is logged too
    row = third[(third["period"] == key[0]) & (third["indicator_id"] == key[1])]
    assert row["commentary"].tolist() == ["Corrected figure"]


def test_formula_injection_is_stored_as_text(master, issued_returns):
    path = issued_returns["police"]
    figures = figures_for(path, 2)
    key = next(k for k, v in figures.items() if "value" in v)
    figures[key]["commentary"] = '=HYPERLINK("http://evil.example","click")'
    fill_return(path, figures, "DI Jones", dt.date(2026, 7, 21))
    assert import_returns(master, [path]).exit_code == 0
    ws = openpyxl.load_workbook(master)["Return_police"]
    cells = [c for row in ws.iter_rows() for c in row if str(c.value).startswith("=HYPER")]
    assert cells and all(c.data_type == "s" for c in cells)


# --------------------------------------------------------------------------- bad returns

def _edit_about(path: Path, key: str, value: str | None) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["About"]
    for row in ws.iter_rows():
        if row[0].value == key:
            row[1].value = value
    book.save(path)


def _rewrite_part(path: Path, match: str, change) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    name = next(n for n in parts if match in n)
    parts[name] = change(parts[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def _value_cell(path: Path, column: str, value) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["Return"]
    ref = ws.tables["tblReturn"].ref
    header_row = int(ref.split(":")[0][1:])
    col = S.ISSUED_RETURN.names.index(column) + 1
    ws.cell(header_row + 1, col).value = value
    book.save(path)


def _bad_wrong_partner(p, other):
    _edit_about(p, "partner_id", "education")


def _bad_wrong_period(p, other):
    _edit_about(p, "period", "2026-27 Q2")


def _bad_forged_token(p, other):
    _edit_about(p, "token", "0" * 64)


def _bad_missing_token(p, other):
    _edit_about(p, "token", None)


def _bad_other_workbook(p, other):
    shutil.copyfile(other, p)


def _bad_text_in_number(p, other):
    _value_cell(p, "value", "lots")


def _bad_numerator_over_denominator(p, other):
    book = openpyxl.load_workbook(p)
    ws = book["Return"]
    header_row = int(ws.tables["tblReturn"].ref.split(":")[0][1:])
    names = S.ISSUED_RETURN.names
    for r in range(header_row + 1, ws.max_row + 1):
        if ws.cell(r, names.index("unit") + 1).value == "Percentage":
            ws.cell(r, names.index("numerator") + 1).value = 50
            ws.cell(r, names.index("denominator") + 1).value = 10
    book.save(p)


def _bad_negative_count(p, other):
    _value_cell(p, "value", -5)


def _bad_deleted_column(p, other):
    book = openpyxl.load_workbook(p)
    ws = book["Return"]
    table = ws.tables["tblReturn"]
    table.tableColumns[-1].name = "notes"
    header_row = int(table.ref.split(":")[0][1:])
    ws.cell(header_row, len(S.ISSUED_RETURN.names)).value = "notes"
    book.save(p)


def _bad_renamed_sheet(p, other):
    book = openpyxl.load_workbook(p)
    book["Return"].title = "My return"
    book.save(p)


def _bad_unknown_rows(p, other):
    book = openpyxl.load_workbook(p)
    ws = book["Return"]
    table = ws.tables["tblReturn"]
    start, end = table.ref.split(":")
    last = int("".join(filter(str.isdigit, end)))
    ws.cell(last + 1, 1).value = PERIOD
    ws.cell(last + 1, 2).value = "FAKE01"
    ws.cell(last + 1, 8).value = 5
    table.ref = f"{start}:{''.join(filter(str.isalpha, end))}{last + 1}"
    book.save(p)


def _bad_xlsm(p, other):
    p.unlink()
    vba = zipfile.ZipInfo("xl/vbaProject.bin")
    with zipfile.ZipFile(other) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts[vba.filename] = b"\xd0\xcf\x11\xe0" + b"\0" * 508
    target = p.with_suffix(".xlsx")
    with zipfile.ZipFile(target, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def _bad_zip_bomb(p, other):
    with zipfile.ZipFile(p, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.xml", b"\0" * (60 * 1024 * 1024))


def _bad_xxe(p, other):
    _rewrite_part(p, "worksheets/sheet1.xml", lambda b: (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + b[b.index(b"<worksheet"):]))


def _bad_truncated(p, other):
    p.write_bytes(p.read_bytes()[:3000])


BAD = {
    "wrong partner": (_bad_wrong_partner, "signature does not match", 2),
    "wrong period": (_bad_wrong_period, "signature does not match", 2),
    "forged token": (_bad_forged_token, "signature does not match", 2),
    "missing token": (_bad_missing_token, "no signature", 2),
    "another workbook": (_bad_other_workbook, "another master workbook", 2),
    "text in a number cell": (_bad_text_in_number, "cell H8", 1),
    "numerator > denominator": (_bad_numerator_over_denominator, "larger than the denom", 1),
    "negative count": (_bad_negative_count, "cannot be negative", 1),
    "deleted column": (_bad_deleted_column, "'commentary' was deleted", 1),
    "renamed sheet": (_bad_renamed_sheet, "'My return'", 1),
    "unknown indicator rows": (_bad_unknown_rows, "FAKE01", 1),
    "macro inside": (_bad_xlsm, "carries macros", 2),
    "zip bomb": (_bad_zip_bomb, "zip bomb", 2),
    "external entity": (_bad_xxe, "declares XML entities", 2),
    "truncated": (_bad_truncated, "damaged", 2),
}


@pytest.fixture
def other_workbook_return(tmp_path, config) -> Path:
    other = new(tmp_path / "other" / "Other.xlsx", config, secret="9f3c" * 16, workbook_id="other")
    return issue_returns(other, PERIOD, tmp_path / "other_returns", ["police"])[0]


@pytest.mark.parametrize("case", list(BAD))
def test_bad_return_is_refused_and_master_untouched(case, master, issued_returns,
                                                    other_workbook_return, capsys):
    spoil, words, code = BAD[case]
    path = issued_returns["police"]
    fill_return(path, figures_for(path, 3), "DI Jones", dt.date(2026, 7, 21))
    if case == "another workbook":
        fill_return(other_workbook_return, figures_for(other_workbook_return, 3))
    spoil(path, other_workbook_return)
    before = master.read_bytes()
    with pytest.raises(SystemExit) as exit_:
        main(["returns", "import", str(master), str(path)])
    text = capsys.readouterr().out.replace("\n", " ")
    assert exit_.value.code == code, text
    assert path.name in text and words in text, text
    assert master.read_bytes() == before
    log = master.with_name("QA_Master.refused-imports.jsonl")
    assert path.name in log.read_text()


def test_refused_attempts_reach_the_import_log_at_the_next_import(master, issued_returns):
    bad, good = issued_returns["police"], issued_returns["education"]
    fill_return(bad, figures_for(bad, 1))
    _bad_negative_count(bad, None)
    import_returns(master, [bad])
    fill_return(good, figures_for(good, 2), "Head", dt.date(2026, 7, 2))
    report = import_returns(master, [good])
    assert report.written
    log = read_table(FileStore(master), S.IMPORT_LOG).df
    assert log["file_name"].tolist() == [bad.name, good.name]
    assert log["result"].iloc[0].startswith("Refused") and log["result"].iloc[1] == "Accepted"
    assert not master.with_name("QA_Master.refused-imports.jsonl").exists()


def test_a_record_of_refused_imports_that_is_a_link_is_not_followed(master, issued_returns,
                                                                    tmp_path):
    """A link planted where the side file goes would have had refusals written into the file
    it points at, and that file's lines copied into tblImportLog at the next import."""
    elsewhere = tmp_path / "someone_elses.txt"
    elsewhere.write_text("IMPORTANT: not qa_xl's\n")
    master.with_name("QA_Master.refused-imports.jsonl").symlink_to(elsewhere)
    bad, good = issued_returns["police"], issued_returns["education"]
    fill_return(bad, figures_for(bad, 1))
    _bad_negative_count(bad, None)
    fill_return(good, figures_for(good, 2), "Head", dt.date(2026, 7, 2))
    before = master.read_bytes()
    for files in ([bad], [good]):
        with pytest.raises(UnusableInput, match="is a link to another file"):
            import_returns(master, files)
    assert elsewhere.read_text() == "IMPORTANT: not qa_xl's\n"
    assert master.read_bytes() == before


def test_one_save_for_many_files_and_mixed_results(master, issued_returns):
    good = [issued_returns[p] for p in ("police", "education")]
    for i, path in enumerate(good):
        fill_return(path, figures_for(path, i), "Lead", dt.date(2026, 7, 2))
    bad = issued_returns["probation"]
    fill_return(bad, figures_for(bad, 5))
    _bad_text_in_number(bad, None)
    before = set((master.parent / "backups").glob("*"))  # issuing kept one (the tracker)
    report = import_returns(master, [*good, bad])
    assert report.exit_code == 1
    backups = set((master.parent / "backups").glob("*")) - before
    assert len(backups) == 1  # one save for the whole call
    returns = read_returns(FileStore(master)).df
    assert set(returns["partner_id"]) == {"police", "education"}


# ------------------------------------------------------------------ property-based checks

@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_returns_no_invalid_row_accepted_no_valid_row_lost(master, issued_returns,
                                                                   tmp_path, data):
    path = tmp_path / "work" / issued_returns["police"].name
    path.parent.mkdir(exist_ok=True)
    shutil.copyfile(issued_returns["police"], path)
    copy = tmp_path / "work" / "QA_Master.xlsx"
    shutil.copyfile(master, copy)
    rows = issued(path)
    figures, invalid = {}, False
    for period, ind, _name, _oba, unit, *_ in rows:
        if unit == "Percentage":
            den = data.draw(st.integers(0, 500))
            num = data.draw(st.integers(0, 600))
            figures[(period, ind)] = {"numerator": num, "denominator": den}
            invalid |= num > den or den == 0  # 0 / 0 leaves the value missing
        else:
            value = data.draw(st.one_of(st.integers(-50, 10_000),
                                        st.floats(0, 1e6, allow_nan=False)))
            text = data.draw(st.sampled_from(["", "Seasonal rise.", "=1+1", "{{ 7*7 }}"]))
            figures[(period, ind)] = {"value": value, "commentary": text or None}
            invalid |= value < 0
    fill_return(path, figures, "Lead", dt.date(2026, 7, 3))
    report = import_returns(copy, [path])
    result = report.results[0]
    assert result.accepted is not invalid, result.problems
    stored = read_returns(FileStore(copy)).df
    if invalid:
        assert stored.empty
        return
    assert len(stored) == len(rows)
    for r in stored.itertuples():
        sent = figures[(r.period, r.indicator_id)]
        if "value" in sent:
            assert r.value == pytest.approx(float(sent["value"]))
            assert (None if pd.isna(r.commentary) else r.commentary) == sent["commentary"]
        else:
            assert (r.numerator, r.denominator) == (sent["numerator"], sent["denominator"])


def test_issue_refuses_a_bad_period(master, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["returns", "issue", str(master), "--period", "Q1 2026"])
    assert exit_.value.code == 2
    assert "2026-27 Q2" in capsys.readouterr().err


def test_the_template_placeholder_secret_cannot_sign(tmp_path, config, capsys):
    template = new(tmp_path / "QA_Master.xlsx", config, secret="0" * 64, workbook_id="t")
    with pytest.raises(SystemExit) as exit_:
        main(["returns", "issue", str(template), "--period", PERIOD])
    assert exit_.value.code == 2 and "placeholder" in capsys.readouterr().err


def test_folder_master_and_blank_return_get_plain_answers(master, issued_returns, capsys):
    before = master.read_bytes()
    folder = next(iter(issued_returns.values())).parent
    report = import_returns(master, [folder])
    assert len(report.results) == len(issued_returns)  # a folder means its .xlsx returns
    assert all("has not been filled in" in r.problems[0] for r in report.results)
    report = import_returns(master, [master])
    assert "master workbook, not a partner's return" in report.results[0].problems[0]
    assert master.read_bytes() == before


def test_sign_off_and_unused_parts_are_warnings(master, issued_returns):
    path = issued_returns["police"]
    figures = figures_for(path, 1)
    key = next(k for k, v in figures.items() if "value" in v)
    figures[key] |= {"numerator": 3, "denominator": 4}
    fill_return(path, figures)  # nobody signed it off
    result = import_returns(master, [path]).results[0]
    assert result.accepted
    text = " ".join(result.warnings)
    assert "'Completed by'" in text and "not a percentage" in text
