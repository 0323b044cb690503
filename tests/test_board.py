"""The Board report stands on its own: the half-year's figures, worked out by hand here from a
hand-built workbook, a headline scorecard of what matters with the rest in an appendix, and a
summary that cites only sections the report has."""

from __future__ import annotations

import re

import docx
import pandas as pd
import pytest

from handmade import TODAY, frame, hand_workbook, indicator
from qa_xl import papers
from qa_xl.workbook import schema as S

Q1, Q2, Q3, Q4 = "2026-27 Q1", "2026-27 Q2", "2025-26 Q3", "2025-26 Q4"
INDICATORS = [
    indicator("contacts", "Contacts received", target=150, tolerance=10,
              oba="How much did we do?", content_area="The front door"),
    indicator("rate", "Share of plans reviewed on time", aggregation="ratio", target=0.5,
              tolerance=0.05),
    indicator("lac", "Children looked after", aggregation="latest", polarity="Neutral",
              partners="alpha"),
    indicator("days", "Days to complete an assessment", aggregation="mean", unit="Days",
              polarity="Lower is better", target=30, tolerance=3),
    indicator("safe", "Children who feel safe", aggregation="ratio", target=0.9,
              tolerance=0.05, frequency="Half-yearly", partners="alpha"),
]
RETURNS = {
    "alpha": [(Q3, "contacts", 100, None, None), (Q4, "contacts", 100, None, None),
              (Q1, "contacts", 100, None, None), (Q2, "contacts", 120, None, None),
              (Q3, "rate", 0.5, 5, 10), (Q4, "rate", 0.5, 5, 10),
              (Q1, "rate", 0.3, 3, 10), (Q2, "rate", 0.5, 5, 10),
              (Q1, "lac", 500, None, None), (Q2, "lac", 520, None, None),
              (Q1, "days", 10, None, None), (Q2, "days", 20, None, None),
              ("2026-27 H1", "safe", 0.8, 8, 10)],
    "beta": [(Q3, "contacts", 50, None, None), (Q4, "contacts", 50, None, None),
             (Q1, "contacts", 50, None, None), (Q2, "contacts", 60, None, None),
             (Q3, "rate", 0.5, 20, 40), (Q4, "rate", 0.5, 20, 40),
             (Q1, "rate", 0.25, 10, 40), (Q2, "rate", 0.5, 20, 40),
             (Q1, "days", 30, None, None), (Q2, "days", 40, None, None)],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("board")
    actions = frame(S.ACTIONS, [{
        "action_id": "A1", "source": "Thematic audit", "action": "Brief the front door.",
        "learning_area": "Training", "owner": "Lead", "due_date": pd.Timestamp("2026-09-01"),
        "status": "In progress"}])
    master = hand_workbook(folder, INDICATORS, RETURNS, tables={S.ACTIONS.table: actions})
    path = papers.build_board_report(master, today=TODAY)
    return master, docx.Document(path)


def _rows(document) -> dict[str, dict[str, str]]:
    out = {}
    for table in document.tables:
        header = [c.text for c in table.rows[0].cells]
        if header[:2] == ["Indicator", "Half-year"]:
            for row in table.rows[1:]:
                out[row.cells[0].text] = dict(zip(header, (c.text for c in row.cells)))
    return out


def test_half_year_figures_equal_the_sums_worked_out_by_hand(report):
    _, document = report
    rows = _rows(document)
    assert rows["Contacts received"]["Half-year"] == "330"  # 100 + 120 + 50 + 60
    assert rows["Contacts received"]["Target"] == "300"  # two quarters' worth of 150
    assert rows["Contacts received"]["RAG"] == "Green"
    assert rows["Contacts received"]["Direction of travel"] == "↑ Improving"  # from 300
    # (3 + 5 + 10 + 20) / (10 + 10 + 40 + 40), not the mean of the quarters' percentages
    assert rows["Share of plans reviewed on time"]["Half-year"] == "38.0%"
    assert rows["Share of plans reviewed on time"]["RAG"] == "Red"
    assert rows["Children looked after"]["Half-year"] == "520"  # a snapshot: Q2's
    assert rows["Days to complete an assessment"]["Half-year"] == "25.0"  # mean of 4 figures
    assert rows["Children who feel safe"]["Half-year"] == "80.0%"  # its own half-year figure
    assert rows["Children looked after"]["Partners reported"] == "1 of 1"


def test_headline_scorecard_holds_what_matters_and_the_rest_is_in_the_appendix(report):
    _, document = report
    why = {row.cells[0].text: row.cells[-1].text for t in document.tables
           if [c.text for c in t.rows[0].cells][-1] == "Why shown" for row in t.rows[1:]}
    assert why["Share of plans reviewed on time"].startswith("Red")
    assert why["Children who feel safe"].startswith("Red")
    assert "Priority: The front door" in why["Contacts received"]
    assert "Children looked after" not in why
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[-2:] == ["Appendix: the other indicators",
                             "Appendix: where the figures come from"]
    appendix = _rows(document)
    assert "Children looked after" in appendix


def test_the_report_says_its_figures_are_the_half_year_s(report):
    _, document = report
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Every figure is for the half-year 2026-27 H1 (2026-27 Q1 and 2026-27 Q2)" in text
    assert "latest figure for" not in text.lower()
    assert "2026-27 Q2" not in text.split("Every figure is for")[0].split("Reporting period")[0]


def test_summary_cites_only_sections_the_report_has(report):
    _, document = report
    headings = {p.text for p in document.paragraphs if p.style.name == "Heading 1"}
    text = "\n".join(p.text for p in document.paragraphs)
    cited = re.findall(r"[Ss]ee (?:the )?([A-Z][^.:;]+?)(?: and its appendix)?\.", text)
    assert cited
    for name in cited:
        assert name in headings or name.lower() in {h.lower() for h in headings}, name
    for foreign in ("Case-file audit", "Voice of children", "compliance", "audit MACFA"):
        assert foreign not in text


def test_the_trail_appendix_covers_the_headline_indicators_only(report):
    """The Board's appendix traces its headline figures (the pack and qa-xl explain trace
    the rest): a whole trail for every indicator made the report twice its length."""
    _, document = report
    text = [p.text for p in document.paragraphs]
    start = text.index("Appendix: where the figures come from")
    traced = {t.split(",")[0] for t in text[start:]
              if p_style(document, t) == "Heading 3"}
    assert "Share of plans reviewed on time" in traced and "Contacts received" in traced
    assert "Children looked after" not in traced  # not a headline: in the other appendix
    assert "each of the headline scorecard's indicators" in text[start + 1]


def p_style(document, text: str) -> str:
    return next(p.style.name for p in document.paragraphs if p.text == text)
