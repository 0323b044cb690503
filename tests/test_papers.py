"""The papers: the Q&PC pack and the Board report rendered for real from the demo workbook,
opened with python-docx and converted by LibreOffice. One pack and one report are built per
session and shared by the tests that only read them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from libreoffice import convert
from qa_xl import papers
from qa_xl.cli import main as cli_main
from qa_xl.collect.consolidate import rollup
from qa_xl.core.errors import UnusableInput, WorkbookLocked
from qa_xl.core.periods import Period
from qa_xl.example import demo
from qa_xl.papers.charts import format_value
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.schema import INDICATORS, return_schema
from qa_xl.workbook.store import read_returns, read_settings, read_table

PACK_SECTIONS = [
    "Summary: key findings, good practice, risks and improvements",
    "Performance scorecard",
    "Statistical process control",
    "QA programme: progress and forward plan",
    "Risk register",
    "Case-file audit findings",
    "Voice of children and families",
    "Learning and improvement actions",
    "Section 11 and Section 175/157 self-assessments",
    "Partner return compliance",
    "Appendix: indicator definitions",
    "Appendix: where the figures come from",
]
BOARD_SECTIONS = ["Summary for the Board", "Headline scorecard", "Key risks",
                  "Quality assurance programme", "Learning and improvement",
                  "Section 11 and Section 175/157 self-assessments",
                  "Appendix: the other indicators", "Appendix: where the figures come from"]
HOSTILE = "{{ 7*7 }} {% if true %}yes{% endif %} <b>bold</b> & \x07bell\ttab"


# ------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def workbook(tmp_path_factory) -> tuple[Path, dt.date]:
    """The demo workbook with 12 quarters (so SPC charts appear) and its 'today'."""
    folder = tmp_path_factory.mktemp("papers")
    result = demo(folder, quarters=12, seed=7)
    current = Period.parse(read_settings(FileStore(result.workbook))["current_period"])
    return result.workbook, current.end + dt.timedelta(days=42)


@pytest.fixture(scope="session")
def pack(workbook) -> Path:
    master, today = workbook
    return papers.build_pack(master, today=today)


@pytest.fixture(scope="session")
def pack_doc(pack):
    return docx.Document(pack)


@pytest.fixture(scope="session")
def board(workbook) -> Path:
    master, today = workbook
    return papers.build_board_report(master, today=today)


@pytest.fixture(scope="session")
def plain_context(workbook) -> dict:
    """The pack's context without drawing charts (for render failures and checks)."""
    master, today = workbook
    return papers.paper_context(master, "pack", today=today, draw=False)


def _headings(document, level: int = 1) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def _pdf_pages(pdf: Path) -> int:
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        return int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


COMMENTARY = "Partners' commentary: "


def _scorecard_rows(document) -> dict[str, list[str]]:
    """Indicator name -> the cells of its scorecard row, and last the partners' commentary
    from the row across the table under it (empty when there is none)."""
    rows: dict[str, list[str]] = {}
    for table in document.tables:
        header = [c.text for c in table.rows[0].cells]
        if header[:2] == ["Indicator", "Value"] and "RAG" in header:
            last = None
            for row in table.rows[1:]:
                cells = [c.text for c in row.cells]
                if len({id(c._tc) for c in row.cells}) == 1:  # the commentary, merged
                    assert cells[0].startswith(COMMENTARY)
                    rows[last][-1] = cells[0].removeprefix(COMMENTARY)
                    continue
                last = cells[0]
                rows[last] = [*cells, ""]
    return rows


def _edit_template(source: Path, target: Path, old: str, new: str) -> Path:
    """Copy a template, replacing text inside one run (as an officer typing in Word)."""
    document = docx.Document(source)
    body = document.element.body
    found = False
    for text in body.iter(qn("w:t")):
        if text.text and old in text.text:
            text.text = text.text.replace(old, new)
            found = True
    assert found, f"{old!r} is not in {source.name}"
    document.save(target)
    return target


# ------------------------------------------------------------------------- the pack itself

def test_pack_written_beside_the_workbook(pack, workbook):
    assert pack == workbook[0].parent / "QPC_pack_2026-27_Q2.docx"
    assert pack.stat().st_size > 50_000


def test_pack_properties_title_and_language(pack_doc):
    props = pack_doc.core_properties
    assert props.title == "Quality & Performance Committee pack: 2026-27 Q2"
    assert props.language == "en-GB"
    lang = pack_doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(
        qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"


def test_every_section_heading_present_as_a_heading_style(pack_doc):
    assert _headings(pack_doc) == PACK_SECTIONS
    assert [p.text for p in pack_doc.paragraphs if p.style.name == "Title"] == [
        "Quality & Performance Committee pack"]
    questions = _headings(pack_doc, 2)
    for question in ("How much did we do?", "How well did we do it?", "Is anyone better off?"):
        assert question in questions


def test_no_template_tag_left_in_the_pack(pack_doc):
    xml = pack_doc.element.xml
    assert "{%" not in xml and "{{" not in xml and "%}" not in xml


def test_cover_shows_the_settings(pack_doc):
    text = "\n".join(p.text for p in pack_doc.paragraphs[:12])
    assert "Wolverhampton Safeguarding Children Board" in text
    assert "Reporting period: 2026-27 Q2 (1 July 2026 to 30 September 2026)" in text
    assert "Version: 1.0" in text
    assert "Protective marking: OFFICIAL-SENSITIVE" in text
    for part in (pack_doc.sections[0].header, pack_doc.sections[0].footer):
        assert "OFFICIAL-SENSITIVE" in "\n".join(p.text for p in part.paragraphs)


def test_contents_links_every_section_without_a_field_to_update(pack_doc):
    """No field Word asks to update on opening: the contents is a list of links to the
    sections' bookmarks, each with a PAGEREF for its page (filled in with --pdf)."""
    assert pack_doc.settings.element.find(qn("w:updateFields")) is None
    assert not [c for c in pack_doc.element.iter(qn("w:fldChar")) if c.get(qn("w:dirty"))]
    instructions = [t.text.split() for t in pack_doc.element.iter(qn("w:instrText"))]
    assert all(words[0] == "PAGEREF" for words in instructions)
    entries = [p for p in pack_doc.paragraphs if p.style.name == "TOC 1"]
    anchors = [h.get(qn("w:anchor")) for p in entries for h in p._p.iter(qn("w:hyperlink"))]
    assert [words[1] for words in instructions] == anchors
    marks = {b.get(qn("w:name")): "".join(t.text for t in b.getparent().iter(qn("w:t")))
             for b in pack_doc.element.iter(qn("w:bookmarkStart"))}
    assert [marks[a] for a in anchors] == PACK_SECTIONS


def test_scorecard_figures_equal_the_rollup(pack_doc, workbook):
    """Every value, RAG and partners figure in the scorecard is the roll-up's, formatted."""
    master, _ = workbook
    result = rollup(master, write=False)
    units = dict(zip(*(read_table(FileStore(master), INDICATORS).df[c]
                       for c in ("indicator_name", "unit"))))
    rows = _scorecard_rows(pack_doc)
    latest = result.rollup.groupby("indicator_id", sort=False).tail(1)
    assert len(rows) == len(latest) == 28
    for r in latest.itertuples():
        cells = rows[r.indicator_name]
        assert cells[1] == format_value(r.value, units[r.indicator_name]), r.indicator_name
        assert cells[3] == r.rag
        assert cells[6] == f"{r.partners_reported} of {r.partners_expected}"


def test_percentages_formatted_as_percentages(pack_doc):
    rows = _scorecard_rows(pack_doc)
    cells = rows["% of booked delegates who attended training"]
    assert re.fullmatch(r"\d{1,3}\.\d%", cells[1]) and cells[2] == "90.0%"


def test_rag_shown_as_word_and_shading(pack_doc):
    fills = set()
    for table in pack_doc.tables:
        header = [c.text for c in table.rows[0].cells]
        if "RAG" not in header:
            continue
        column = header.index("RAG")
        for row in table.rows[1:]:
            cell = row.cells[column]
            if cell.text.startswith(COMMENTARY):
                continue
            shading = cell._tc.tcPr.find(qn("w:shd"))
            assert cell.text in papers.RAG_FILL
            assert shading.get(qn("w:fill")) == papers.RAG_FILL[cell.text]
            fills.add(cell.text)
    assert {"Green", "Amber", "Red", "No target"} <= fills


def test_direction_of_travel_arrow_and_word(pack_doc):
    directions = {row[4] for row in _scorecard_rows(pack_doc).values()}
    assert any(d.startswith("↑ ") for d in directions)
    assert any(d.startswith("↓ ") for d in directions)
    assert all(re.fullmatch(r"[↑↓→–] \w[\w ]*", d) for d in directions)


def test_commentary_comes_from_the_returns(pack_doc, workbook):
    master, _ = workbook
    returns = read_returns(FileStore(master)).df
    said = returns[(returns["period"] == "2026-27 Q2") & returns["commentary"].notna()]
    assert len(said)
    text = "\n".join(row[7] for row in _scorecard_rows(pack_doc).values())
    for comment in said["commentary"].unique():
        assert comment in text


def _long_series(master: Path) -> int:
    """Indicators with at least 12 figures: the ones with an SPC chart."""
    figures = rollup(master, write=False).rollup.dropna(subset=["value"])
    return int((figures.groupby("indicator_id").size() >= 12).sum())


def test_every_picture_has_alt_text(pack_doc, workbook):
    pictures = list(papers.iter_pictures(pack_doc))
    spc = _long_series(workbook[0])
    assert spc >= 5
    # a trend per indicator, each SPC chart and its two icons, the heat map
    assert len(pictures) == 28 + 3 * spc + 1
    for picture in pictures:
        assert picture.get("descr", "").strip(), picture.get("name")
        assert picture.get("title", "").strip()
    assert len({p.get("id") for p in pictures}) == len(pictures)  # a shape id each
    described = [p.get("descr") for p in pictures]
    assert any(re.search(r" (rose|fell) from .+ to .+ over \d+ quarters; (target|no target)",
                         d) for d in described)
    assert any(d.startswith("Risk heat map of ") for d in described)
    assert any("statistical process control chart" in d and "Assurance:" in d
               for d in described)


def test_pictures_are_the_drawn_charts_not_placeholders(pack_doc, workbook):
    images = [p for p in pack_doc.part.package.iter_parts() if p.content_type == "image/png"]
    icons = [p for p in images if p.image.px_width == p.image.px_height]  # round icons
    spc = _long_series(workbook[0])
    # each kind of icon is stored once, however often the SPC table shows it
    assert len(images) - len(icons) == 28 + spc + 1 and 2 <= len(icons) <= 11
    assert len({p.blob for p in icons}) == len(icons)
    assert all(len(p.blob) > 1000 and p.blob.startswith(b"\x89PNG") for p in images)


def test_header_rows_repeat_on_every_table(pack_doc):
    assert len(pack_doc.tables) > 10
    for table in pack_doc.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None


def test_spc_section_lists_each_long_series(pack_doc, workbook):
    spc = next(t for t in pack_doc.tables if [c.text for c in t.rows[0].cells][:2] == [
        "Indicator", "Figures"])
    assert len(spc.rows) == 1 + _long_series(workbook[0])
    assert {row.cells[1].text for row in spc.rows[1:]} == {"12 quarters"}
    verdicts = {row.cells[5].text.strip() for row in spc.rows[1:]}
    assert verdicts <= {"Consistently passes", "Consistently fails", "Hit and miss",
                        "No target"}


def test_voice_suppresses_small_numbers_and_summary_items(plain_context):
    voice = plain_context["voice"]
    assert voice["suppression_note"] == "fewer than 5"
    assert len(voice["questions"]) == 3
    summary = plain_context["summary"]
    for key in ("key_findings", "good_practice", "significant_risks", "improvements"):
        assert summary[key] and all(isinstance(s, str) and s for s in summary[key])
        assert len(summary[key]) <= papers.LIST_LIMIT or key == "key_findings"


def test_actions_overdue_first(plain_context):
    statuses = [a["status"] for a in plain_context["actions"]["open"]]
    assert statuses == sorted(statuses, key=lambda s: ("Overdue", "Due soon", "On track",
                                                       "No due date").index(s))
    assert "Overdue" in statuses


def test_forward_plan_covers_the_next_meetings(plain_context):
    meetings = [m["meeting"] for m in plain_context["programme"]["forward_plan"]]
    assert meetings.count("Q&PC") == 2 and meetings.count("Board") == 1


@pytest.mark.libreoffice
def test_pack_converts_with_libreoffice(pack, tmp_path):
    pdf = convert(pack, "pdf", tmp_path)
    assert _pdf_pages(pdf) >= len(PACK_SECTIONS) + 2  # cover and contents too
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                              text=True).stdout
        for heading in PACK_SECTIONS:
            assert " ".join(heading.split()) in " ".join(text.split())


# ------------------------------------------------------------------------ the Board report

def test_board_report_is_its_own_shorter_paper(board, pack, workbook):
    assert board == workbook[0].parent / "Board_report_2026-27_H1.docx"
    document = docx.Document(board)
    assert _headings(document) == BOARD_SECTIONS
    assert document.core_properties.title == "Board performance report: 2026-27 H1"
    pictures = list(papers.iter_pictures(document))
    assert len(pictures) == 28 + 1 and all(p.get("descr") for p in pictures)
    assert all(t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None for t in document.tables)
    assert len(document.element.xml) < len(docx.Document(pack).element.xml)


@pytest.mark.libreoffice
def test_board_report_converts_with_libreoffice(board, tmp_path):
    assert _pdf_pages(convert(board, "pdf", tmp_path)) >= len(BOARD_SECTIONS) + 2


def test_board_half_year():
    settings = {"current_period": "2026-27 Q2"}
    today = dt.date(2026, 11, 1)
    assert str(papers.board_half(None, settings, today)) == "2026-27 H1"
    assert str(papers.board_half(None, {"current_period": "2026-27 Q3"}, today)) == "2026-27 H1"
    assert str(papers.board_half(None, {"current_period": "2026-27 Q1"}, today)) == "2025-26 H2"
    assert str(papers.board_half("2026-27 Q4", settings, today)) == "2026-27 H2"
    assert str(papers.board_half("2026-27 H1", settings, today)) == "2026-27 H1"


# -------------------------------------------------------------------- templates fail loudly

def test_misspelled_variable_fails_naming_it_and_the_template(plain_context, tmp_path):
    bad = _edit_template(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE, tmp_path / "bad.docx",
                         "{{ r.value }}", "{{ r.valeu }}")
    with pytest.raises(UnusableInput) as caught:
        papers.render(bad, plain_context, tmp_path / "out.docx", title="t")
    message = str(caught.value)
    assert "scorecard[].rows[].valeu" in message and "bad.docx" in message
    assert caught.value.exit_code == 2
    assert not (tmp_path / "out.docx").exists()


def test_misspelled_top_level_name_fails(plain_context, tmp_path):
    bad = _edit_template(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE, tmp_path / "bad.docx",
                         "{{ partnership }}", "{{ partnershp }}")
    with pytest.raises(UnusableInput, match="'partnershp'"):
        papers.render(bad, plain_context, tmp_path / "out.docx", title="t")


def test_broken_tag_fails_with_a_message(plain_context, tmp_path):
    bad = _edit_template(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE, tmp_path / "bad.docx",
                         "{{ r.value }}", "{{ r.value ")
    with pytest.raises(UnusableInput, match="broken tag"):
        papers.render(bad, plain_context, tmp_path / "out.docx", title="t")


def test_check_template(plain_context, tmp_path):
    assert papers.check_template(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE, plain_context) == []
    assert papers.check_template(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE) == []
    assert papers.check_template(papers.TEMPLATE_DIR / papers.BOARD_TEMPLATE, kind="board") == []
    bad = _edit_template(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE, tmp_path / "bad.docx",
                         "{{ r.value }}", "{{ r.valeu }} {{ periodd }}")
    assert papers.check_template(bad) == ["periodd"]
    assert papers.check_template(bad, plain_context) == ["periodd", "scorecard[].rows[].valeu"]


def test_cli_check_template_exit_status(workbook, tmp_path, capsys):
    master, _ = workbook
    bad = _edit_template(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE, tmp_path / "bad.docx",
                         "{{ g.question }}", "{{ g.questoin }}")
    with pytest.raises(SystemExit) as done:
        cli_main(["pack", str(master), "--check-template", str(bad)])
    assert done.value.code == 2
    captured = capsys.readouterr()
    assert "scorecard[].questoin" in captured.out + captured.err
    with pytest.raises(SystemExit) as done:
        cli_main(["pack", "--check-template", str(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE)])
    assert done.value.code == 0
    assert "Give the workbook as well" in capsys.readouterr().out  # loops were not checked


def test_cli_check_template_of_the_other_paper_and_a_missing_file(tmp_path, capsys):
    board_template = str(papers.TEMPLATE_DIR / papers.BOARD_TEMPLATE)
    with pytest.raises(SystemExit) as done:
        cli_main(["pack", "--check-template", board_template])
    assert done.value.code == 2
    assert "qa-xl paper board --check-template" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "board", "--check-template", board_template])
    assert done.value.code == 0
    with pytest.raises(SystemExit) as done:
        cli_main(["pack", "--check-template", str(tmp_path / "nope.docx")])
    assert done.value.code == 2
    message = capsys.readouterr().err
    assert "nope.docx" in message and "template to check" in message
    assert "--template" not in message.replace("--check-template", "")


def test_a_paper_is_written_only_as_docx(workbook, tmp_path, capsys):
    master, today = workbook
    for name in ("pack.pdf", "pack"):
        with pytest.raises(UnusableInput, match="Word document"):
            papers.build_pack(master, today=today, out=tmp_path / name)
        assert not (tmp_path / name).exists()
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "board", str(master), "--out", str(tmp_path / "board.PDF")])
    assert done.value.code == 2 and ".docx" in capsys.readouterr().err


def test_cli_today_as_officers_write_it_and_version(workbook, tmp_path, capsys):
    master, today = workbook
    out = tmp_path / "pack.docx"
    with pytest.raises(SystemExit) as done:
        cli_main(["pack", str(master), "--out", str(out), "--today", today.strftime("%d/%m/%Y")])
    assert done.value.code == 0 and out.exists()
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        cli_main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("qa-xl 0.")


def test_pack_refuses_a_half_year_and_a_missing_template(workbook, tmp_path):
    master, today = workbook
    with pytest.raises(UnusableInput, match="quarter"):
        papers.pack_context(master, period="2026-27 H1", today=today)
    with pytest.raises(UnusableInput, match="does not exist"):
        papers.build_pack(master, template=tmp_path / "nope.docx")
    not_docx = tmp_path / "template.docx"
    not_docx.write_text("not a Word file")
    with pytest.raises(UnusableInput, match="cannot be read"):
        papers.build_pack(master, template=not_docx, today=today, out=tmp_path / "x.docx")


def test_period_typed_as_officers_write_it(workbook, tmp_path):
    master, today = workbook
    current = read_settings(FileStore(master))["current_period"]
    typed = current.replace("-", "/").replace("Q", "q")  # 2026/27 q2
    out = papers.build_pack(master, period=typed, today=today, out=tmp_path / "p.docx")
    assert current in "\n".join(p.text for p in docx.Document(out).paragraphs[:12])


@pytest.mark.parametrize(("period", "words"), [
    ("2026-27 Q7", "is not a period"), ("Q2", "is not a period"),
    ("2040-41 Q1", "nothing to report for 2040-41 Q1 yet"),
    ("2001-02 Q1", "nothing to report for 2001-02 Q1: the first returns are for"),
])
def test_a_period_with_nothing_to_report_is_refused(workbook, tmp_path, period, words):
    """Not a paper that calls every partner's return missing, and nothing written."""
    master, today = workbook
    before = master.read_bytes()
    with pytest.raises(UnusableInput, match=words) as refused:
        papers.build_pack(master, period=period, today=today, out=tmp_path / "p.docx")
    assert refused.value.exit_code == 2 and "--period" in str(refused.value)
    assert not (tmp_path / "p.docx").exists() and master.read_bytes() == before
    with pytest.raises(UnusableInput, match=r"nothing to report|not a period"):
        papers.build_board_report(master, period=period, today=today, out=tmp_path / "b.docx")


def test_papers_refuse_a_workbook_open_in_excel(workbook, tmp_path):
    master, today = workbook
    lock = master.with_name(f"~${master.name}")
    lock.write_bytes(b"owner")
    try:
        for build in (papers.build_pack, papers.build_board_report):
            with pytest.raises(WorkbookLocked, match="open in Excel"):
                build(master, today=today, out=tmp_path / "paper.docx")
        assert not (tmp_path / "paper.docx").exists()
    finally:
        lock.unlink()


def test_returns_not_yet_due_are_not_called_missing(workbook, tmp_path):
    """A pack made before the deadline, with one partner's return not in yet: that partner is
    'Not yet due' and the sentence says when the returns are due, not that one is missing."""
    master, _ = workbook
    copy = shutil.copy(master, tmp_path / master.name)
    store = FileStore(copy)
    current = read_settings(store)["current_period"]
    returns = read_returns(store).df
    late_partner = returns.loc[returns["period"] == current, "partner_id"].iloc[0]
    own = read_table(store, return_schema(late_partner)).df
    store.close()
    FileStore(copy).write({f"tblReturn_{late_partner}": own[own["period"] != current]})
    day_after = Period.parse(current).end + dt.timedelta(days=1)
    compliance = papers.paper_context(copy, "pack", today=day_after, draw=False)["compliance"]
    status = {row["partner"]: row["status"] for row in compliance["partners"]}
    assert status[late_partner] == "Not yet due"
    assert set(status.values()) == {"Not yet due", "On time"}
    assert compliance["counts"]["not_due"] == 1 and compliance["missing"] == []
    assert compliance["summary"].startswith(f"The {current} returns are not due until")
    after = papers.paper_context(copy, "pack", today=day_after + dt.timedelta(days=60),
                                 draw=False)["compliance"]
    assert {row["partner"]: row["status"] for row in after["partners"]}[late_partner] == \
        "Missing"


# ------------------------------------------- a restyled template and hostile commentary

@pytest.fixture(scope="session")
def restyled_hostile(workbook, tmp_path_factory):
    """A copy of the workbook whose commentary holds template syntax, markup and control
    characters, built with a template restyled in python-docx (fonts, heading text)."""
    folder = tmp_path_factory.mktemp("restyled")
    master = folder / "QA_Master.xlsx"
    shutil.copyfile(workbook[0], master)
    store = FileStore(master)
    table = read_table(store, return_schema("police")).df
    row = table.index[(table["indicator_id"] == "mash_contacts")
                      & (table["period"] == "2026-27 Q2")][0]
    table.loc[row, "commentary"] = HOSTILE
    store.write({"tblReturn_police": table})

    template = docx.Document(papers.TEMPLATE_DIR / papers.PACK_TEMPLATE)
    template.styles["Normal"].font.name = "Georgia"
    template.styles["Heading 1"].font.size = docx.shared.Pt(24)
    template.styles["Table text"].font.name = "Verdana"
    for paragraph in template.paragraphs:
        if paragraph.text == "Performance scorecard":
            paragraph.text = "How the partnership performed"
    restyled = folder / "restyled.docx"
    template.save(restyled)
    out = papers.build_pack(master, template=restyled, today=workbook[1],
                            out=folder / "restyled_pack.docx")
    return out


def test_restyled_template_still_renders(restyled_hostile):
    document = docx.Document(restyled_hostile)
    assert "How the partnership performed" in _headings(document)
    assert document.styles["Normal"].font.name == "Georgia"
    assert document.styles["Heading 1"].font.size == docx.shared.Pt(24)
    assert all(p.get("descr") for p in papers.iter_pictures(document))


def test_commentary_is_data_not_template(restyled_hostile):
    document = docx.Document(restyled_hostile)
    cell = _scorecard_rows(document)["Contacts received by the MASH"][7]
    assert "{{ 7*7 }} {% if true %}yes{% endif %} <b>bold</b> & bell tab" in cell
    assert "49" not in cell


# ----------------------------------------------------------------- the context's contract

def test_context_keys_never_hide_dict_methods(plain_context):
    names = {path.rsplit(".", 1)[-1].removesuffix("[]")
             for path in papers.context_paths(plain_context)}
    assert not names & set(dir(dict))


def test_top_level_names_are_declared(plain_context, workbook):
    assert set(plain_context) == papers.PACK_NAMES
    board = papers.paper_context(workbook[0], "board", today=workbook[1], draw=False)
    assert set(board) == papers.BOARD_NAMES


def test_readme_documents_every_context_value(plain_context, workbook):
    """Each value the papers provide is in report_templates/README.md: its own name, the
    list or dict it sits in and its top-level name, each in backticks."""
    readme = (papers.TEMPLATE_DIR / "README.md").read_text()
    board = papers.paper_context(workbook[0], "board", today=workbook[1], draw=False)
    missing = []
    for path in papers.context_paths(plain_context) | papers.context_paths(board):
        parts = [part.removesuffix("[]") for part in path.split(".")]
        names = {parts[0], parts[-1], parts[-2] if len(parts) > 1 else parts[0]}
        if any(f"`{name}" not in readme for name in names):
            missing.append(path)
    assert not missing


# ------------------------------------------------------------------------ publishable papers

@pytest.fixture(scope="session")
def pack_pdf(workbook, tmp_path_factory) -> tuple[Path, Path]:
    """The pack written with --pdf, as an officer would: its .docx and tagged PDF."""
    master, today = workbook
    out = tmp_path_factory.mktemp("pdf") / "pack.docx"
    with pytest.raises(SystemExit) as done:
        cli_main(["pack", str(master), "--out", str(out), "--today", today.isoformat(),
                  "--pdf"])
    assert done.value.code == 0
    return out, out.with_suffix(".pdf")


@pytest.fixture(scope="session")
def board_pdf(workbook, tmp_path_factory) -> tuple[Path, Path]:
    master, today = workbook
    out = papers.build_board_report(master, today=today, pdf=True,
                                    out=tmp_path_factory.mktemp("pdf") / "board.docx")
    return out, out.with_suffix(".pdf")


@pytest.mark.libreoffice
def test_pdf_is_tagged_with_title_and_language(pack_pdf):
    info = subprocess.run(["pdfinfo", str(pack_pdf[1])], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Quality & Performance Committee pack: 2026-27 Q2$", info, re.M)


@pytest.mark.libreoffice
@pytest.mark.parametrize("which", ["pack_pdf", "board_pdf"])
def test_contents_shows_the_pages_libreoffice_laid_out(which, request):
    """The Word contents carries the page numbers of the PDF, without a field to update."""
    from qa_xl.papers.pdf import bookmark_pages

    document_path, pdf = request.getfixturevalue(which)
    pages = bookmark_pages(pdf)
    document = docx.Document(document_path)
    entries = [p for p in document.paragraphs if p.style.name == "TOC 1"]
    shown = {}
    for entry in entries:
        anchor = next(entry._p.iter(qn("w:hyperlink"))).get(qn("w:anchor"))
        shown[anchor] = entry.text.rsplit("\t", 1)[-1]
    assert shown and shown == {name: str(page) for name, page in pages.items()}
    assert list(map(int, shown.values())) == sorted(map(int, shown.values()))
    contents = subprocess.run(["pdftotext", "-f", "1", "-l", "3", str(pdf), "-"],
                              capture_output=True, text=True).stdout
    first = entries[0].text.split("\t")[0]
    assert re.search(re.escape(first) + r"\s+" + shown[min(shown)], contents)


def test_pdf_without_libreoffice_is_a_clear_message(workbook, tmp_path, monkeypatch, capsys):
    master, today = workbook
    monkeypatch.setenv("PATH", str(tmp_path / "no_programs"))
    monkeypatch.delenv("QA_XL_SOFFICE", raising=False)
    out = tmp_path / "board.docx"
    with pytest.raises(SystemExit) as done:
        cli_main(["paper", "board", str(master), "--out", str(out), "--pdf",
                  "--today", today.isoformat()])
    assert done.value.code == 2
    message = capsys.readouterr().err
    assert "LibreOffice is not installed, so no PDF was written" in message
    assert "board.docx" in message and out.exists() and not out.with_suffix(".pdf").exists()


@pytest.mark.parametrize("which", ["pack", "board"])
def test_every_text_and_fill_pair_has_a_contrast_of_at_least_4_5(which, request):
    from accessibility import contrast, low_contrast, text_fill_pairs

    document = docx.Document(request.getfixturevalue(which))
    pairs = text_fill_pairs(document)
    fills = {fill for _, fill in pairs}
    assert {"FFFFFF", "1F3864"} <= fills and len(fills) >= 5  # it sees shaded cells too
    assert low_contrast(document) == []
    assert contrast("262626", "D55E00") < 4.5  # the old "Very high" cell would fail


@pytest.mark.libreoffice
@pytest.mark.parametrize("which", ["pack_pdf", "board_pdf"])
def test_no_page_left_nearly_empty(which, request):
    from accessibility import page_fill

    fill = page_fill(request.getfixturevalue(which)[1])
    assert len(fill) > 5
    nearly_empty = [page for page, share in enumerate(fill[1:-1], start=2) if share < 0.3]
    assert nearly_empty == [], fill


@pytest.mark.parametrize("which", ["pack", "board"])
def test_no_python_words_reach_the_committee(which, request):
    from accessibility import PYTHON_WORDS, document_text

    text = document_text(docx.Document(request.getfixturevalue(which)))
    assert not PYTHON_WORDS.findall(text), PYTHON_WORDS.findall(text)[:5]


def test_line_breaks_and_tabs_resolved_as_docxtpl_does_only_where_they_are():
    """The papers' template skips docxtpl's listing pass over paragraphs without a tab,
    newline, \\a or form feed; the XML must be what docxtpl itself gives."""
    from docxtpl import DocxTemplate

    from qa_xl.papers.word import _template_class

    run = '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r>'
    paragraph = '<w:p><w:pPr><w:jc w:val="left"/></w:pPr>{}</w:p>'
    xml = "".join([
        paragraph.format(run.format("plain words")),
        paragraph.format(run.format("two\nlines") + run.format("a\ttab")),
        "<w:tbl><w:tr><w:tc>" + paragraph.format(run.format("in a cell\fpage")) + "</w:tc>"
        "</w:tr></w:tbl>",
        '<w:p w:rsidR="1">' + run.format("bell\a here") + "</w:p>",
        paragraph.format('<w:r><w:drawing>\n<wp:inline/>\n</w:drawing></w:r>'),
        paragraph.format(run.format("no break")),
    ])
    ours = _template_class()
    expected = DocxTemplate.resolve_listing(None, xml)
    assert expected != xml  # the breaks are resolved...
    assert ours.resolve_listing(ours.__new__(ours), xml) == expected  # ...the same way
    plain = paragraph.format(run.format("nothing to resolve"))
    assert ours.resolve_listing(ours.__new__(ours), plain) == plain


def test_a_template_is_patched_once_and_read_back_the_same(tmp_path, monkeypatch):
    """docxtpl's patch_xml is kept in Jinja's private cache folder: the next paper reads it
    back, byte for byte, instead of patching the template again."""
    import tempfile

    from qa_xl.papers.word import _patched

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    calls = []

    def patch(xml: str) -> str:
        calls.append(xml)
        return xml.replace("{{<w:t>x}}", "{{x}}") + "\r\n£"

    source = "<w:p>{{<w:t>x}}</w:p>"
    first = _patched(source, patch)
    assert first == "<w:p>{{x}}</w:p>\r\n£" and len(calls) == 1
    assert _patched(source, patch) == first and len(calls) == 1  # read back, not patched
    assert _patched(source + " ", patch) != first and len(calls) == 2  # another template
    assert not [p for p in tmp_path.rglob(".qa_xl-patched-*")]  # no scratch file left
