"""The self-assessments in the papers, on a hand-built workbook whose answers are chosen so the
right cells can be worked out by hand: the pack's section, the cycle's report to the Board
(``qa-xl paper s11``) and its accessibility."""

from __future__ import annotations

import datetime as dt

import docx
import pandas as pd
import pytest

from accessibility import contrast, low_contrast
from handmade import TODAY, frame, hand_workbook, indicator
from qa_xl import papers
from qa_xl.cli import main as cli_main
from qa_xl.framework import load_config
from qa_xl.workbook import schema as S

Q2 = "2026-27 Q2"
INDICATORS = [indicator("count", "A count", target=10, tolerance=1)]
RETURNS = {"alpha": [(Q2, "count", 12, None, None)], "beta": [(Q2, "count", 8, None, None)]}
SA = load_config().self_assessment("s11")


def _answers() -> pd.DataFrame:
    """alpha returned 2024-26 (S11_1 all Not met, the rest Fully met) and 2026-28 (its first
    S11_1 question Partly met, every other question Fully met); beta has not returned
    2026-28."""
    rows = []
    for cycle, first, rest, day in (("2024-26", "Not met", "Not met", "2024-07-01"),
                                    ("2026-28", "Partly met", "Fully met", "2026-07-01")):
        for standard, question in SA.questions():
            grade = (first if question == standard.questions[0] else rest) \
                if standard.id == "S11_1" else "Fully met"
            rows.append({"cycle": cycle, "form": "s11", "organisation": "alpha",
                         "standard": standard.id, "question": question.id, "grade": grade,
                         "submitted_on": pd.Timestamp(day)})
    rows.append({"cycle": "2024-26", "form": "s11", "organisation": "beta", "standard":
                 "S11_2", "question": SA.standards[1].questions[0].id, "grade": "Fully met",
                 "submitted_on": pd.Timestamp("2024-08-01")})
    df = frame(S.SELF_ASSESSMENT, rows)
    df["submitted_on"] = df["submitted_on"].astype("datetime64[s]")
    return df


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    first = SA.standards[0].questions[0].id
    actions = frame(S.ACTIONS, [
        {"action_id": f"S11-2026-28-alpha-{first}", "source": SA.action_source,
         "finding": "Partly met", "action": "Write the board's safeguarding strategy",
         "owner": "Deputy chief constable", "due_date": dt.date(2026, 10, 1),
         "status": "Not started"},
        {"action_id": "S11-2024-26-alpha-S11_1b", "source": SA.action_source,
         "finding": "Not met", "action": "An old one", "owner": "DCC",
         "due_date": dt.date(2025, 10, 1), "status": "Completed"}])
    actions["due_date"] = actions["due_date"].astype("datetime64[s]")
    return hand_workbook(tmp_path_factory.mktemp("sa"), INDICATORS, RETURNS, tables={
        S.SELF_ASSESSMENT.table: _answers(), S.ACTIONS.table: actions})


@pytest.fixture(scope="module")
def part(master):
    parts = papers.paper_context(master, "pack", today=TODAY, draw=False)["self_assessment"]
    assert [p["form"] for p in parts] == ["s11"]  # no s175 answer: no s175 section
    return parts[0]


def test_the_cycle_worked_out_by_hand(part):
    assert (part["cycle"], part["state"], part["organisations"], part["returned"]) == \
        ("2026-28", "Open", 2, 1)
    assert part["not_returned"] == ["Beta Health Trust"]
    [alpha] = part["heat"]
    cells = {c["standard"]: c for c in alpha["cells"]}
    assert cells["S11_1"]["text"] == "Partly met, up from Not met"
    assert cells["S11_1"]["fill"] == papers.data.FILL_WARN
    assert cells["S11_2"]["text"] == "Fully met"  # Fully met both cycles: no movement words
    assert part["movement"] == {"improved": 1, "declined": 0, "unchanged": 7,
                                "no_previous": 0}
    assert part["action_counts"] == {"raised": 1, "outstanding": 1, "overdue": 1}
    assert [a["status"] for a in part["actions"]] == ["Overdue"]
    assert part["mostly_partly"][0]["id"] == "S11_1"  # 1 of the 1 that graded it
    s11_1 = part["by_standard"][0]
    assert (s11_1["partly_met"], s11_1["fully_met"], s11_1["not_answered"]) == (1, 0, 0)


def test_grade_fills_keep_black_text_readable(part):
    for fill in {c["fill"] for r in part["heat"] for c in r["cells"]} | {
            papers.data.FILL_GOOD, papers.data.FILL_BAD, papers.data.FILL_NONE}:
        assert contrast("000000", fill) >= 4.5


def test_the_cycle_report_to_the_board(master, tmp_path):
    out = tmp_path / "s11.docx"
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "s11", str(master), "--cycle", "2026-28", "--out", str(out),
                  "--today", TODAY.isoformat()])
    assert done.value.code == 0
    doc = docx.Document(out)
    assert doc.core_properties.title == "Section 11 self-assessment 2026-28: report to the Board"
    assert doc.core_properties.language == "en-GB"
    heat = next(t for t in doc.tables if "Partly met, up from Not met" in
                [c.text for c in t.rows[1].cells])
    assert [c.text for c in heat.rows[0].cells] == ["Organisation", *[s.id for s in
                                                                      SA.standards]]
    assert heat.rows[0]._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None
    widths = [c.width for c in heat.rows[1].cells]
    assert sum(widths) <= docx.shared.Mm(171) and len(set(widths[1:])) == 1  # fits the page
    assert low_contrast(doc) == []
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Beta Health Trust" in text
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["The cycle at a glance", "Results and action plans",
                        "Declined since the last cycle"]


def test_a_cycle_with_no_answers_is_refused(master, tmp_path):
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "s11", str(master), "--cycle", "2030-32", "--out",
                  str(tmp_path / "x.docx")])
    assert done.value.code == 2
    assert not (tmp_path / "x.docx").exists()


def test_the_timetable_row_follows_the_complete_cycle(master):
    """2024-26 is complete once beta returned on 1 Aug 2024 (alpha on 1 Jul): the Section 11
    row's last done is that day unless a later one was typed."""
    context = papers.paper_context(master, "pack", today=TODAY, draw=False)
    rows = [a for a in context["programme"]["activities"] if a["type"] == SA.timetable_type]
    assert rows and all(a["last_done"] for a in rows)
    assert any(a["last_done"] == "1 Aug 2024" for a in rows) or all(
        dt.datetime.strptime(a["last_done"], "%d %b %Y").date() > dt.date(2024, 8, 1)
        for a in rows)


def test_the_cycle_template_checks_against_the_cycle_context(master, capsys):
    template = papers.TEMPLATE_DIR / papers.SELF_ASSESSMENT_TEMPLATE
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "s11", str(master), "--check-template", str(template)])
    assert done.value.code == 0
    assert "every name it uses is in the Section 11 report's context" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:  # the pack's template is not the cycle's
        cli_main(["paper", "s11", str(master), "--check-template",
                  str(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE)])
    assert done.value.code == 2


def test_the_pack_lists_the_log_s_actions_and_counts_the_action_plans(demo_master):
    """Hundreds of partly met questions each raise an action: listed among the learning and
    improvement actions they buried them (663 rows, 40% of the demo pack). The pack lists
    the log's own actions and says how many the action plans hold and where they are
    followed; the counts agree with tblActions."""
    from qa_xl.programme.actions import for_papers
    from qa_xl.workbook.filestore import FileStore
    from qa_xl.workbook.store import read_table

    today = dt.date.today()
    context = papers.paper_context(demo_master, "pack", today=today, draw=False)
    actions = context["actions"]
    plans = {"Section 11 audit", "Section 175/157 audit"}
    assert actions["open"] and not {a["source"] for a in actions["open"]} & plans
    table = read_table(FileStore(demo_master), S.ACTIONS).df
    open_rows = for_papers(table, today)
    from_plans = open_rows[open_rows["source"].isin(plans)]
    assert actions["counts"]["plans_open"] == len(from_plans) > 0
    assert actions["counts"]["plans_overdue"] == int((from_plans["status_now"] == "Overdue").sum())
    assert "qa-xl paper s11" in actions["forms_note"] and actions["forms_note"] in \
        actions["summary"]
    assert len(actions["open"]) == len(open_rows) - len(from_plans)

