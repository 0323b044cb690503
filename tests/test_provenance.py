"""Every figure traceable: the trail from a paper's figure to the partners, the return files
(sha256) and the cells of the master behind it, checked against the import log and the
workbook itself (the demo workbook, its current quarter imported from real return files)."""

from __future__ import annotations

import openpyxl
import pytest

from qa_xl import papers
from qa_xl.cli import main as cli_main
from qa_xl.papers.provenance import NO_IMPORT, explain
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table


@pytest.fixture(scope="module")
def demo(_demo_template):
    master, result = _demo_template
    return master, result.today


@pytest.fixture(scope="module")
def context(demo):
    master, today = demo
    return papers.paper_context(master, "pack", today=today, draw=False)


@pytest.fixture(scope="module")
def log(demo):
    table = read_table(FileStore(demo[0]), S.IMPORT_LOG).df
    quarter = "2026-27 Q2"  # the returns' imports (the log also holds the self-assessments')
    return {r.partner_id: r for r in table.itertuples()
            if r.result.startswith("Accepted") and r.period == quarter}


def test_provenance_rows_equal_the_import_log(context, log):
    quarter = context["period"]
    per_file: dict[str, int] = {}
    for t in context["provenance"]:
        for s in t["sources"]:
            entry = log.get(s["partner_id"])
            if s["period"] in (quarter, "2026-27 H1") and entry is not None:
                assert s["file"] == entry.file_name
                assert s["sha256"] == entry.sha256[:12] and len(s["sha256"]) == 12
                when = entry.imported_at
                assert s["imported"] == f"{when.day} {when:%b %Y %H:%M}"
                per_file[s["partner_id"]] = per_file.get(s["partner_id"], 0) + 1
            else:
                assert s["file"] == NO_IMPORT and s["sha256"] == ""
    assert per_file == {pid: entry.rows for pid, entry in log.items()}


def test_compliance_figures_agree_with_the_import_log(context, log):
    rows = {c["partner"]: c["rows"] for c in context["compliance"]["partners"]}
    for pid, entry in log.items():
        assert rows[pid] == entry.rows, pid


def test_each_cell_holds_the_partners_figure(context, demo):
    book = openpyxl.load_workbook(demo[0], read_only=True, data_only=True)
    checked = 0
    for t in context["provenance"]:
        for s in t["sources"]:
            if not s["counted"] or " / " in s["cell"]:
                continue
            sheet, cell = s["cell"].split("!")
            value = book[sheet][cell].value
            assert papers.format_value(value, "Count") == s["figure"] or \
                f"{value:,.1f}" == s["figure"], (s, value)
            checked += 1
    assert checked > 20


def test_the_trail_adds_up_to_the_paper_s_figure(context):
    shown = {r["id"]: r["value"] for g in context["scorecard"] for r in g["rows"]}
    assert len(context["provenance"]) == len(shown)
    for t in context["provenance"]:
        assert t["figure"] == shown[t["id"]], t["name"]
        if t["figure"] != "No data":  # a sum, rate or mean ends with it; a snapshot or a
            # single figure starts with it
            assert t["arithmetic"].endswith(f"= {t['figure']}") or t["arithmetic"].startswith(
                (f"{t['figure']}, submitted on", f"{t['figure']}, the only partner figure")), \
                t["arithmetic"]


def test_explain_prints_the_trail_and_writes_nothing(demo, capsys):
    master, _ = demo
    before = master.read_bytes()
    with pytest.raises(SystemExit) as done:
        cli_main(["explain", str(master), "mash_contacts", "--period", "2026/27 q2"])
    assert done.value.code == 0
    printed = capsys.readouterr().out
    trail = explain(master, "mash_contacts", period="2026-27 Q2")
    assert printed.splitlines() == trail.lines()
    assert printed.startswith("Contacts received by the MASH (mash_contacts), 2026-27 Q2: ")
    assert "cell Return_police!C" in printed and "sha256" in printed
    assert master.read_bytes() == before


def test_explain_a_half_year_adds_its_quarters(demo):
    master, _ = demo
    trail = explain(master, "Contacts received by the MASH", period="2026-27 H1")
    periods = {s.period for s in trail.sources}
    assert periods == {"2026-27 Q1", "2026-27 Q2"}
    total = sum(int(s.figure.replace(",", "")) for s in trail.sources if s.counted)
    assert trail.figure == f"{total:,}"


@pytest.mark.parametrize(("args", "words"), [
    (["nonsense"], "there is no indicator 'nonsense'"),
    (["mash_contcts"], "did you mean mash_contacts"),
    (["lac_feel_safe", "--period", "2026-27 Q1"], "reported half-yearly"),
    (["mash_contacts", "--period", "Q7"], "is not a period"),
])
def test_explain_refuses_what_it_cannot_explain(demo, capsys, args, words):
    with pytest.raises(SystemExit) as done:
        cli_main(["explain", str(demo[0]), *args])
    assert done.value.code == 2
    assert words in capsys.readouterr().err


def test_a_row_typed_into_the_master_says_so(demo):
    trail = explain(demo[0], "mash_contacts", period="2025-26 Q1")
    assert trail.sources and all(s.file == NO_IMPORT for s in trail.sources)
    assert all(s.signed_off_on for s in trail.sources)
