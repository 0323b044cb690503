"""The yearly report and the annual review of the QA programme, rendered for real from the
demo workbook and from hand-built ones: their sections, year figures worked out by hand from
the returns, words a family can read, and the next year's programme."""

from __future__ import annotations

import re
import statistics

import docx
import pandas as pd
import pytest

from accessibility import PYTHON_WORDS
from handmade import TODAY, frame, hand_workbook, indicator
from qa_xl import papers
from qa_xl.cli import main as cli_main
from qa_xl.papers.programme_review import source_matches
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_returns

YEARLY_SECTIONS = [
    "The year at a glance", "Our priorities and how far we have got",
    "Are children and families better off?", "What we learned from reviews and audits",
    "What children and families told us", "Where we made little or no progress",
    "How we checked on our work", "Section 11 and Section 175/157 self-assessments",
    "What we will do in 2026-27", "Words we use",
]
REVIEW_SECTIONS = [
    "Summary and decision", "The year by type of activity", "Every activity",
    "Content areas without an indicator or a QA activity", "Proposed programme for 2027-28",
]


@pytest.fixture(scope="module")
def demo(_demo_template):
    master, result = _demo_template
    return master, result.today


@pytest.fixture(scope="module")
def yearly(demo, tmp_path_factory):
    master, today = demo
    out = tmp_path_factory.mktemp("yearly") / "yearly.docx"
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "yearly", str(master), "--out", str(out), "--today",
                  today.isoformat()])
    assert done.value.code == 0
    return docx.Document(out)


@pytest.fixture(scope="module")
def review(demo, tmp_path_factory):
    master, today = demo
    path = papers.build_programme_review(master, today=today,
                                         out=tmp_path_factory.mktemp("review") / "r.docx")
    return docx.Document(path)


def _text(document) -> str:
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(texts)


def _headings(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == "Heading 1"]


def test_yearly_report_has_its_sections(yearly):
    assert _headings(yearly) == YEARLY_SECTIONS
    props = yearly.core_properties
    assert props.title == "Wolverhampton Safeguarding Children Board yearly report: 2025-26"
    assert props.language == "en-GB"
    header = "\n".join(p.text for p in yearly.sections[0].header.paragraphs)
    assert header == "OFFICIAL"  # a report to publish
    text = _text(yearly)
    assert "This report covers April 2025 to March 2026." in text


def test_section_11_says_plainly_how_the_cycle_went(yearly, demo):
    """The demo's year 2025-26 ends in the Section 11 cycle 2024-26, which every partner
    returned; its Section 175/157 audits are of 2026-28, after the year."""
    context = papers.paper_context(demo[0], "yearly", today=demo[1], draw=False)
    cycles = context["self_assessment"]["cycles"]
    assert [(c["form"], c["cycle"], c["returned"]) for c in cycles] == [("s11", "2024-26", 11)]
    assert cycles[0]["summary"].startswith("Section 11 self-assessment (2024-26): 11 of 11 "
                                           "partners checked themselves against 8 standards.")
    assert cycles[0]["summary"] in _text(yearly)


def test_section_11_says_plainly_no_cycle_has_been_run(tmp_path):
    from handmade import TODAY, hand_workbook, indicator

    master = hand_workbook(tmp_path, [indicator("count", "A count")],
                           {"alpha": [("2025-26 Q4", "count", 3, None, None)]})
    context = papers.paper_context(master, "yearly", today=TODAY, draw=False)
    assert context["self_assessment"]["cycles"] == []
    assert context["self_assessment"]["summary"].startswith(
        "No Section 11 or Section 175/157 self-assessment cycle has been run yet.")


def test_year_figures_are_the_quarters_worked_out_by_hand(demo):
    master, today = demo
    context = papers.paper_context(master, "yearly", today=today, draw=False)
    returns = read_returns(FileStore(master)).df
    quarters = [f"2025-26 Q{q}" for q in range(1, 5)]
    rows = returns[(returns["indicator_id"] == "da_ceased") & returns["period"].isin(quarters)]
    by_hand = rows["numerator"].sum() / rows["denominator"].sum()
    shown = next(i for i in context["impact"] if i["id"] == "da_ceased")
    assert shown["value"] == f"{by_hand * 100:.1f}%"
    assert f"In 2025-26 the figure was {shown['value']}." in shown["text"]


def test_every_chart_is_explained_in_its_text(yearly, demo):
    context = papers.paper_context(demo[0], "yearly", today=demo[1], draw=False)
    assert context["impact"]
    text = _text(yearly)
    pictures = list(papers.iter_pictures(yearly))
    assert len(pictures) == len(context["impact"])
    for item, picture in zip(context["impact"], pictures):
        assert picture.get("descr") == item["chart_alt"]
        assert item["text"] in text and item["chart_alt"] in text  # said, not only shown
        for figure in re.findall(r"\d[\d,.]*%?", item["chart_alt"].split(":", 1)[1]):
            assert figure in text


def test_written_so_a_family_can_read_it(yearly):
    text = _text(yearly)
    for jargon in ("RAG", "OBA", "SPC", "numerator", "denominator", "tolerance",
                   "aggregation", "polarity", "KPI"):
        assert not re.search(rf"\b{jargon}\b", text, re.I), jargon
    body = " ".join(p.text for p in yearly.paragraphs if p.style.name in (
        "Normal", "List Bullet"))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", body) if len(s.split()) > 2]
    assert statistics.median(len(s.split()) for s in sentences) <= 16


@pytest.mark.parametrize("which", ["yearly", "review"])
def test_no_python_words_reach_the_reader(which, request):
    assert not PYTHON_WORDS.findall(_text(request.getfixturevalue(which)))


@pytest.mark.parametrize("which", ["yearly", "review"])
def test_contrast_and_alt_text(which, request):
    from accessibility import low_contrast

    document = request.getfixturevalue(which)
    assert low_contrast(document) == []
    assert all(p.get("descr") for p in papers.iter_pictures(document))
    assert all(t.rows[0]._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None
               for t in document.tables)


def test_a_year_not_over_is_said_to_be_so_far(demo):
    context = papers.paper_context(demo[0], "yearly", period="2026/27", today=demo[1],
                                   draw=False)
    assert context["coverage"] == "April 2026 to September 2026, the year so far"
    assert context["complete"] is False


@pytest.mark.parametrize(("year", "words"), [("2026", "is not a period"),
                                             ("2040-41", "nothing to report for 2040-41")])
def test_a_year_that_cannot_be_reported_is_refused(demo, capsys, year, words):
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "yearly", str(demo[0]), "--year", year])
    assert done.value.code == 2
    message = capsys.readouterr().err
    assert words in message and "--year" in message
    if year == "2040-41":  # the answer names a year, not a quarter
        assert "give --year 2026-27 or earlier" in " ".join(message.split())


# ---------------------------------------------------------------- the programme review

def test_programme_review_has_its_sections(review):
    assert _headings(review) == REVIEW_SECTIONS
    assert review.core_properties.title == "Review of the QA programme: 2026-27"


@pytest.mark.parametrize(("source", "activity_type", "same"), [
    ("Serious Case Review (SCR)", "Serious Case Reviews", True),
    ("Multi-agency case file audit", "Multi Agency Audits", True),
    ("Section 11 audit", "Section 11 audits and annual reviews", True),
    ("Child death review (CDOP)", "Child Death Review Data", True),
    ("Risk register", "Annual Risk Register", True),
    ("Thematic audit", "Multi Agency Audits", False),
    ("Peer review", "Partnership reviews", False),
    ("Other", "Thematic Audits", False),
])
def test_actions_are_matched_to_the_activity_type_that_raised_them(source, activity_type,
                                                                   same):
    assert source_matches(source, activity_type) is same


TIMETABLE = [
    {"activity_id": "mac", "activity_type": "Multi Agency Audits", "title": "Multi-agency "
     "case file audit", "lead": "QAS", "frequency": "Quarterly",
     "last_done": pd.Timestamp("2026-09-10"), "reporting_route": "Q&PC", "status":
     "Completed", "findings": "Plans lacked dates."},
    {"activity_id": "risk", "activity_type": "Annual Risk Register", "title": "Annual risk "
     "register review", "lead": "Executive", "frequency": "Annual",
     "last_done": pd.Timestamp("2025-07-01"), "reporting_route": "Board", "status":
     "Planned"},
    {"activity_id": "s11", "activity_type": "Section 11 audits and annual reviews",
     "title": "Section 11 audit", "lead": "QAS", "frequency": "Every two years",
     "reporting_route": "Q&PC", "status": "Planned"},
]


def test_programme_review_of_a_hand_built_timetable(tmp_path):
    actions = frame(S.ACTIONS, [
        {"action_id": "A1", "source": "Multi-agency case file audit", "action": "Add dates.",
         "learning_area": "Training", "owner": "Lead", "due_date": pd.Timestamp("2026-12-01"),
         "status": "In progress"},
        {"action_id": "A2", "source": "Thematic audit", "action": "Other.", "owner": "Lead",
         "learning_area": "Training", "due_date": pd.Timestamp("2026-12-01"),
         "status": "Completed", "evidence_of_impact": "Better plans."}])
    areas = frame(S.CONTENT_AREAS, [
        {"content_area": "Domestic abuse", "kind": "Practice", "priority": "High"},
        {"content_area": "Neglect", "kind": "Practice", "priority": "High"}])
    audits = frame(S.AUDITS, [{"audit_id": "M1", "audit_date": pd.Timestamp("2026-09-10"),
                               "theme": "Neglect", "case_ref": "C1", "partner_id": "alpha",
                               "stage": "Referral", "grade": "Good"}])
    master = hand_workbook(
        tmp_path, [indicator("x", "A figure", content_area="Domestic abuse")],
        {"alpha": [("2026-27 Q2", "x", 5, None, None)]},
        tables={S.TIMETABLE.table: frame(S.TIMETABLE, TIMETABLE), S.ACTIONS.table: actions,
                S.CONTENT_AREAS.table: areas, S.AUDITS.table: audits})
    context = papers.paper_context(master, "programme_review", today=TODAY, draw=False)
    by_type = {t["type"]: t for t in context["by_type"]}
    assert (by_type["Multi Agency Audits"]["ran"], by_type["Multi Agency Audits"]["actions"],
            by_type["Multi Agency Audits"]["actions_open"]) == (1, 1, 1)
    assert by_type["Multi Agency Audits"]["findings"] == "Plans lacked dates."
    assert (by_type["Annual Risk Register"]["ran"],
            by_type["Annual Risk Register"]["slipped"]) == (0, 1)  # due 1 July 2026
    assert by_type["Section 11 audits and annual reviews"]["no_record"] == 1
    proposed = {p["id"]: p for p in context["proposed"]}
    assert proposed["mac"]["next_due"] == "10 Dec 2026"
    assert proposed["mac"]["due_in_year"] == "Jun 2027, Sep 2027, Dec 2027, Mar 2028"
    assert proposed["risk"]["note"] == "Overdue: schedule it first"
    assert proposed["risk"]["due_in_year"] == "Nov 2027"  # run now, then a year on
    assert proposed["s11"]["due_in_year"] == "To be scheduled: it has never run"
    assert [g["area"] for g in context["no_activity"]] == ["Domestic abuse"]
    assert [g["area"] for g in context["no_indicator"]] == ["Neglect"]
    assert context["additions"][0].startswith("Domestic abuse (High priority): no QA "
                                              "activity in 2026-27")
    assert context["year"] == "2026-27" and context["next_year"] == "2027-28"


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["yearly", "programme-review"])
def test_tagged_pdf_with_contents_pages_and_no_nearly_empty_page(demo, tmp_path, kind):
    from accessibility import page_fill
    from qa_xl.papers.pdf import bookmark_pages

    out = tmp_path / f"{kind}.docx"
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", kind, str(demo[0]), "--out", str(out), "--pdf",
                  "--today", demo[1].isoformat()])
    assert done.value.code == 0
    pdf = out.with_suffix(".pdf")
    pages = bookmark_pages(pdf)
    entries = [p for p in docx.Document(out).paragraphs if p.style.name == "TOC 1"]
    assert len(pages) == len(entries) > 3
    assert [e.text.rsplit("\t", 1)[-1] for e in entries] == [
        str(pages[f"qaSection{i}"]) for i in range(1, len(entries) + 1)]
    fill = page_fill(pdf)
    assert [page for page, share in enumerate(fill[1:-1], start=2) if share < 0.3] == [], fill
