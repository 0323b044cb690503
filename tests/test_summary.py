"""The summary a committee reads first: worst first, the counts always stated, no repeats,
good practice only where the better direction is clear. Hand-built workbooks whose ranking
is known, rendered for real."""

from __future__ import annotations

import re

import docx
import pytest

from handmade import TODAY, frame, hand_workbook, indicator
from qa_xl import papers
from qa_xl.workbook import schema as S

Q1, Q2 = "2026-27 Q1", "2026-27 Q2"

# in table order the worst comes last; by severity it comes first
INDICATORS = [
    indicator("green", "Green and improving rate", aggregation="ratio", target=0.5,
              tolerance=0.05),
    indicator("ae_like", "Cases seen at the emergency department", polarity="Lower is better",
              target=100, tolerance=5, definition="Cases identified in the period. A fall "
              "needs a robust identification process: read with the commentary."),
    indicator("red_better", "Red but improving count", polarity="Lower is better", target=50,
              tolerance=5),
    indicator("red_worse_near", "Red and worsening, near target", target=100, tolerance=5),
    indicator("red_worse_far", "Red and worsening, far from target", aggregation="ratio",
              target=0.7, tolerance=0.1),
]
RETURNS = {
    "alpha": [(Q1, "green", 0.4, 4, 10), (Q2, "green", 0.6, 6, 10),
              (Q1, "ae_like", 70, None, None), (Q2, "ae_like", 40, None, None),
              (Q1, "red_better", 50, None, None), (Q2, "red_better", 40, None, None),
              (Q1, "red_worse_near", 50, None, None), (Q2, "red_worse_near", 45, None, None),
              (Q1, "red_worse_far", 0.5, 5, 10), (Q2, "red_worse_far", 0.2, 2, 10)],
    "beta": [(Q1, "green", 0.4, 4, 10), (Q2, "green", 0.6, 6, 10),
             (Q1, "red_better", 50, None, None), (Q2, "red_better", 40, None, None),
             (Q1, "red_worse_near", 45, None, None), (Q2, "red_worse_near", 45, None, None),
             (Q1, "red_worse_far", 0.5, 5, 10), (Q2, "red_worse_far", 0.2, 2, 10)],
}
NAMES = [i["indicator_name"] for i in INDICATORS]


def _actions(overdue: int) -> list[dict]:
    return [{"action_id": f"A{i:02d}", "source": "Thematic audit", "finding": "A finding.",
             "action": f"Action {i}.", "learning_area": "Training", "owner": "Lead",
             "due_date": "2026-09-01", "status": "In progress"} for i in range(1, overdue + 1)]


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worst_first")
    actions = frame(S.ACTIONS, _actions(7))
    actions["due_date"] = actions["due_date"].astype("datetime64[s]")
    return hand_workbook(folder, INDICATORS, RETURNS, tables={S.ACTIONS.table: actions})


@pytest.fixture(scope="module")
def summary(master):
    return papers.paper_context(master, "pack", today=TODAY, draw=False)["summary"]


def _summary_text(path) -> str:
    document = docx.Document(path)
    texts, inside = [], False
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Heading 1":
            inside = paragraph.text.startswith("Summary")
            continue
        if inside:
            texts.append(paragraph.text)
    return "\n".join(texts)


def test_worst_indicator_comes_before_any_other_in_the_rendered_summary(master, tmp_path):
    pack = papers.build_pack(master, today=TODAY, out=tmp_path / "pack.docx")
    text = _summary_text(pack)
    first = {name: text.find(name) for name in NAMES if name in text}
    assert min(first, key=first.get) == "Red and worsening, far from target"
    # Red and worsening first (furthest from target first), then Red, then the rest
    assert first["Red and worsening, far from target"] < first[
        "Red and worsening, near target"] < first["Red but improving count"] < first[
        "Green and improving rate"]


def test_counts_are_stated(summary):
    assert summary["headline"] == (
        "In 2026-27 Q2, 3 indicators are Red (2 of them worsening), 7 learning and improvement "
        "actions are overdue, no QA activity is overdue and no risk is Very high.")
    counts = summary["counts"]
    assert (counts["red"], counts["red_worsening"], counts["actions_overdue"]) == (3, 2, 7)
    overdue = [s for s in summary["attention"] if "learning and improvement actions" in s]
    assert overdue and overdue[0].startswith("7 learning and improvement actions are overdue")
    assert "and 4 more" in overdue[0]  # capped, but the count is said


def test_the_worst_is_described_with_its_target_and_movement(summary):
    assert summary["attention"][0] == (
        "Red and worsening, far from target: 20.0% against a target of 70.0%, down from 50.0% "
        "(Red and worsening).")


def test_good_practice_only_where_the_better_direction_is_clear(summary):
    good = " ".join(summary["good_practice"])
    assert "Green and improving rate" in good
    # its fall is Green and "improving", but its definition says to read it with care
    everything = " ".join(s for key in ("good_practice", "improvements", "key_findings")
                          for s in summary[key])
    assert "emergency department" not in everything


def test_no_sentence_twice(summary):
    lists = [summary[k] for k in ("attention", "key_findings", "good_practice",
                                  "significant_risks", "improvements")]
    every = [s for items in lists for s in items]
    assert len(every) == len(set(every))
    named = [n for n in NAMES if any(n in s for s in summary["good_practice"])]
    assert not [n for n in named if any(n in s for s in summary["improvements"])]


def test_many_red_indicators_capped_but_counted(tmp_path):
    many = [indicator(f"r{i}", f"Red count number {i}", target=100, tolerance=5)
            for i in range(12)]
    rows = [(q, f"r{i}", 20 + i, None, None) for i in range(12) for q in (Q1, Q2)]
    master = hand_workbook(tmp_path, many, {"alpha": rows, "beta": rows})
    summary = papers.paper_context(master, "pack", today=TODAY, draw=False)["summary"]
    assert summary["headline"].startswith("In 2026-27 Q2, 12 indicators are Red (none of "
                                          "them worsening)")
    named = [s for s in summary["attention"] if s.startswith("Red count number")]
    assert len(named) == 8
    assert "4 more Red indicators, not worsening: see the performance scorecard." in summary[
        "attention"]
    # furthest from target first: the lowest figure (40 of 100) first
    figures = [int(re.search(r": (\d+) against", s).group(1)) for s in named]
    assert figures == sorted(figures)
