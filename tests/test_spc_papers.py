"""SPC as Making Data Count users expect, in the papers: every charted indicator's variation
and assurance verdicts in one table with icons (alt text and words), limits clipped to what
the unit can take, recalculation points set by the officer with a reason, and no chart for
fewer than 12 points (said in words). Hand-built workbooks, real rendering and drawing."""

from __future__ import annotations

import docx
import pandas as pd
import pytest

from handmade import TODAY, hand_workbook, indicator
from qa_xl import papers
from qa_xl.core.errors import DataError
from qa_xl.core.periods import Period
from qa_xl.papers import drawing
from qa_xl.papers.charts import SpcSpec
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table

QUARTERS = [str(Period.parse("2026-27 Q2").shift(i - 11)) for i in range(12)]
HIGH = [0.99, 0.93, 0.99, 0.92, 0.99, 0.94, 0.99, 0.92, 0.99, 0.93, 0.99, 0.95]  # near 100%
LOW = [3, 12, 2, 14, 3, 11, 2, 13, 4, 12, 3, 15]  # a small count, swinging widely
INDICATORS = [
    indicator("high_rate", "Plans reviewed on time", aggregation="ratio", target=0.9,
              tolerance=0.05, partners="alpha"),
    indicator("low_count", "Missing episodes", polarity="Lower is better", partners="alpha"),
    indicator("short", "A new measure", partners="alpha"),
]


def _rows() -> list[tuple]:
    rows = [(q, "high_rate", v, round(v * 1000), 1000) for q, v in zip(QUARTERS, HIGH)]
    rows += [(q, "low_count", v, None, None) for q, v in zip(QUARTERS, LOW)]
    rows += [(q, "short", 5, None, None) for q in QUARTERS[-8:]]
    return rows


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    return hand_workbook(tmp_path_factory.mktemp("spc"), INDICATORS, {"alpha": _rows()})


def _with_setting(master, tmp_path, key: str, value: str):
    copy = tmp_path / master.name
    copy.write_bytes(master.read_bytes())
    store = FileStore(copy)
    config = read_table(store, S.CONFIG).df
    config = pd.concat([config, pd.DataFrame([{"key": key, "value": value,
                                               "description": "SPC recalculation"}])],
                       ignore_index=True)
    store.write({S.CONFIG.table: config})
    return copy


def _spc(context) -> dict[str, dict]:
    return {s["id"]: s for s in context["spc"]}


def test_limits_of_a_percentage_stay_within_0_and_100_percent(master):
    spc = _spc(papers.paper_context(master, "pack", today=TODAY, draw=False))
    low, high = spc["high_rate"]["limits"].split(" to ")
    assert high == "100.0%" and 0 <= float(low.rstrip("%")) <= 100
    assert "process limits " + spc["high_rate"]["limits"] in spc["high_rate"]["chart_alt"]
    assert spc["low_count"]["limits"].startswith("0 to ")  # a count's limit at 0


def test_the_drawn_limit_lines_are_clipped_too():
    from qa_xl.papers.spc import xmr

    spec = SpcSpec("Plans", tuple(QUARTERS), tuple(HIGH), "Percentage", "increase", 0.9)
    assert xmr(HIGH).segments[-1].upl > 1.0  # unclipped, the limit passes 100%
    drawing.spc_chart(spec)
    figure = drawing._reused("spc", drawing._SpcFigure)
    upper = [y for y in figure.limits["upl"][0].get_ydata() if y == y]
    assert upper and max(upper) == 1.0
    spec = SpcSpec("Missing", tuple(QUARTERS), tuple(LOW), "Count", "decrease")
    drawing.spc_chart(spec)
    lower = [y for y in figure.limits["lpl"][0].get_ydata() if y == y]
    assert lower and min(lower) == 0.0


def test_verdicts_table_with_icons_alt_text_and_words(master, tmp_path):
    path = papers.build_pack(master, today=TODAY, out=tmp_path / "pack.docx")
    document = docx.Document(path)
    table = next(t for t in document.tables
                 if [c.text for c in t.rows[0].cells][:2] == ["Indicator", "Figures"])
    rows = {r.cells[0].text: r for r in table.rows[1:]}
    assert set(rows) == {"Plans reviewed on time", "Missing episodes"}
    for row in rows.values():
        for cell in row.cells[4:6]:
            pictures = cell._tc.xpath(".//wp:docPr")
            assert len(pictures) == 1 and pictures[0].get("descr").startswith(
                ("Common cause", "Special cause", "Assurance"))
            assert cell.text.strip()  # the verdict in words as well
    assert "No target" in rows["Missing episodes"].cells[5].text


def test_fewer_than_12_points_no_chart_and_said_in_words(master, tmp_path):
    context = papers.paper_context(master, "pack", today=TODAY, draw=False)
    assert "short" not in _spc(context)
    assert context["spc_short"] == [{"id": "short", "name": "A new measure",
                                     "points": "8 quarters"}]
    document = docx.Document(papers.build_pack(master, today=TODAY, out=tmp_path / "p.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "With fewer than 12 figures the process limits are not reliable" in text
    titles = [p.get("title") for p in papers.iter_pictures(document)]
    assert "SPC chart: A new measure" not in titles and "SPC chart: Missing episodes" in titles


def test_recalculation_set_by_the_officer_is_drawn_and_said(master, tmp_path):
    copy = _with_setting(master, tmp_path, "spc_rebase_low_count",
                         f"{QUARTERS[6]}: a new recording system")
    context = papers.paper_context(copy, "pack", today=TODAY, draw=False)
    spc = _spc(context)["low_count"]
    assert spc["rebases"] == [{"period": QUARTERS[6], "reason": "a new recording system"}]
    assert f"Limits recalculated from {QUARTERS[6]} (a new recording system)" in \
        spc["chart_alt"]
    assert "rest on 6 quarters" in spc["rebase_note"]
    spec = SpcSpec("Missing", tuple(QUARTERS), tuple(LOW), "Count", "decrease", None,
                   ((6, "a new recording system"),))
    drawing.spc_chart(spec)
    figure = drawing._reused("spc", drawing._SpcFigure)
    shown = [line for line in figure.rebases if line.get_visible()]
    assert len(shown) == 1 and list(shown[0].get_xdata()) == [5.5, 5.5]
    means = [y for y in figure.limits["mean"][0].get_ydata() if y == y]
    assert len(set(means)) == 2  # one mean before the recalculation, one after


@pytest.mark.parametrize(("key", "value", "words"), [
    ("spc_rebase_low_count", "2040-41 Q1: later", "is not a period of the chart"),
    ("spc_rebase_low_count", "2026-27 Q1", "gives no reason"),
    ("spc_rebase_nothing", "2026-27 Q1: why", "names no indicator"),
    ("spc_rebase_low_count", "soon: why", "holds no recalculation point"),
])
def test_a_bad_recalculation_point_names_its_config_cell(master, tmp_path, key, value, words):
    copy = _with_setting(master, tmp_path, key, value)
    with pytest.raises(DataError, match=words) as refused:
        papers.paper_context(copy, "pack", today=TODAY, draw=False)
    assert refused.value.exit_code == 1
    assert refused.value.sheet == "Config" and refused.value.cell
