"""Regenerate the docxtpl templates of the papers: qpc_pack.docx, board_report.docx,
yearly_report.docx and programme_review.docx.

    python report_templates/make_templates.py

The .docx files are committed (officers restyle them in Word: fonts, logo, wording), and this
script is their reviewable source: a change to a template is a change here, re-run, and both
the script and the .docx are committed. Re-running with no change gives byte-identical files.

What every template has, for accessibility and for the papers to render:

* real Word styles: Title, Heading 1-3 (Heading 1 starts a new page), List Bullet, Caption,
  and two table paragraph styles ("Table text", "Table heading"); Arial, en-GB throughout;
* a contents list: each section's title linked to its heading, and its page number in a
  PAGEREF field that LibreOffice lays out and qa_xl fills in when it writes the PDF (no field
  for Word to ask about when the document opens);
* the protective marking in the header and footer of every page, page X of Y;
* tables whose header row repeats on every page (``w:tblHeader``), whose rows are docxtpl
  ``{%tr for %}`` loops, and whose RAG or status cells are shaded with ``{% cellbg %}``
  while the word is printed too.

The context every tag uses is documented in README.md beside this script.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "Arial"
NAVY = RGBColor(0x1F, 0x38, 0x64)
INK = RGBColor(0x26, 0x26, 0x26)
MUTED = RGBColor(0x40, 0x40, 0x40)
HEADER_FILL = "1F3864"
BORDER = "A6A6A6"
PORTRAIT_WIDTH_MM = 170  # A4 less 20 mm margins
LANDSCAPE_WIDTH_MM = 257
FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # zip entry dates, so that a re-run changes no byte
THUMBNAIL = "docProps/thumbnail.jpeg"


# ---------------------------------------------------------------------------- the document

def _font(target, name: str = FONT) -> None:
    """Set a font by name and drop the theme font references that would override it."""
    target.font.name = name
    r_fonts = target.element.rPr.rFonts if hasattr(target, "element") else None
    if r_fonts is not None:
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            r_fonts.attrib.pop(qn(attr), None)
        r_fonts.set(qn("w:cs"), name)
        r_fonts.set(qn("w:eastAsia"), name)


def _paragraph_style(doc, name: str, *, base: str = "Normal", size: float | None = None,
                     bold: bool | None = None, italic: bool | None = None,
                     colour: RGBColor | None = None, before: float | None = None,
                     after: float | None = None, keep_next: bool | None = None):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(
        name, WD_STYLE_TYPE.PARAGRAPH)
    if name != base and name != "Normal" and style.base_style is None:
        style.base_style = styles[base]
    _font(style)
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if italic is not None:
        style.font.italic = italic
    if colour is not None:
        style.font.color.rgb = colour
    fmt = style.paragraph_format
    if before is not None:
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if keep_next is not None:
        fmt.keep_with_next = keep_next
    return style


def _styles(doc) -> None:
    """Arial, en-GB, and the styles the templates use (real heading styles, for navigation
    and the contents)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    r_pr.find(qn("w:rFonts")).attrib.clear()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_pr.find(qn("w:rFonts")).set(qn(attr), FONT)
    lang = r_pr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "en-GB")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "120")
    spacing.set(qn("w:line"), "264")

    _paragraph_style(doc, "Normal", size=11, colour=INK)
    title = _paragraph_style(doc, "Title", size=28, bold=True, colour=NAVY, after=12)
    border = title.element.pPr.find(qn("w:pBdr"))
    if border is not None:
        title.element.pPr.remove(border)
    title.element.pPr.insert(0, parse_xml(  # a navy rule under the title
        f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="18" w:space="8" '
        f'w:color="{HEADER_FILL}"/></w:pBdr>'))
    _paragraph_style(doc, "Subtitle", size=16, italic=False, colour=MUTED, after=18)
    # no page break before a section: a forced break leaves the page before nearly empty
    # whenever a section ends just past a page's end
    h1 = _paragraph_style(doc, "Heading 1", size=18, bold=True, colour=NAVY, before=24,
                          after=12, keep_next=True)
    _paragraph_style(doc, "Heading 2", size=14, bold=True, colour=NAVY, before=16, after=6,
                     keep_next=True)
    _paragraph_style(doc, "Heading 3", size=12, bold=True, colour=INK, before=12, after=4,
                     keep_next=True)
    _paragraph_style(doc, "List Bullet", size=11, after=4)
    _paragraph_style(doc, "Caption", size=9, italic=True, bold=False, colour=MUTED, after=10)
    _paragraph_style(doc, "Quote", size=11, italic=True, colour=INK, after=2)
    _paragraph_style(doc, "TOC Heading", size=18, bold=True, colour=NAVY, after=12)
    for level in (1, 2):
        toc = _paragraph_style(doc, f"TOC {level}", size=12 if level == 1 else 11, after=6)
        toc.paragraph_format.left_indent = Mm(6 * (level - 1))
        toc.paragraph_format.tab_stops.add_tab_stop(Mm(PORTRAIT_WIDTH_MM),
                                                    WD_TAB_ALIGNMENT.RIGHT)
    _paragraph_style(doc, "Table text", size=9, after=0)
    doc.styles["Table text"].paragraph_format.line_spacing = 1.0
    _paragraph_style(doc, "Table heading", base="Table text", size=9, bold=True,
                     colour=RGBColor(0xFF, 0xFF, 0xFF), after=0)
    _paragraph_style(doc, "Figure", after=2, keep_next=True).paragraph_format.alignment = (
        WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "Note", size=9, colour=MUTED, after=6)
    _paragraph_style(doc, "Cover detail", size=12, after=6)
    _paragraph_style(doc, "Template tag", size=8, colour=MUTED, after=0)
    for name in ("Header", "Footer"):
        _paragraph_style(doc, name, size=8.5, colour=MUTED, after=0)
    grid = doc.styles["Table Grid"].element
    borders = grid.find(qn("w:tblPr")).find(qn("w:tblBorders"))
    for edge in borders:
        edge.set(qn("w:color"), BORDER)
        edge.set(qn("w:sz"), "4")
    margins = grid.find(qn("w:tblPr")).find(qn("w:tblCellMar"))
    for side, width in (("top", 40), ("left", 85), ("bottom", 40), ("right", 85)):
        margins.find(qn(f"w:{side}")).set(qn("w:w"), str(width))


def _settings(doc) -> None:
    """Language en-GB. No ``w:updateFields``: Word would ask to update the fields on opening;
    the contents is a list of links whose page numbers are filled in from LibreOffice's
    layout when the PDF is written (``--pdf``)."""
    settings = doc.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), "en-GB")


def _page(section, landscape: bool = False) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.page_width, section.page_height = width, height
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    section.header_distance = section.footer_distance = Mm(9)


def _simple_field(paragraph, instruction: str, placeholder: str) -> None:
    paragraph._p.append(parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr=" {instruction} "><w:r><w:t>{placeholder}'
        "</w:t></w:r></w:fldSimple>"))


def _header_footer(doc, footer_text: str) -> None:
    """The protective marking at the top and bottom of every page (centred, so that it sits
    right in portrait and landscape sections alike), and page X of Y."""
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = "{{ protective_marking }}"
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    header.runs[0].bold = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(footer_text + " · page ")
    _simple_field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _simple_field(footer, "NUMPAGES", "1")
    marking = section.footer.add_paragraph("{{ protective_marking }}")
    marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
    marking.runs[0].bold = True


# ------------------------------------------------------------------------------ the builder

@dataclass
class Builder:
    """Writes one template: headings (recorded for the contents), tags, paragraphs and
    looped tables."""

    doc: object
    sections: list[tuple[str, str]] = field(default_factory=list)  # (bookmark, title)
    toc_anchor: object = None

    def p(self, text: str = "", style: str | None = None, bold_label: str | None = None):
        paragraph = self.doc.add_paragraph(style=style)
        if bold_label:
            paragraph.add_run(bold_label).bold = True
        if text:
            paragraph.add_run(text)
        return paragraph

    def tag(self, text: str):
        """A paragraph that only holds a docxtpl paragraph tag ({%p ... %}); docxtpl removes
        the whole paragraph when rendering."""
        return self.p(text, "Template tag")

    def h1(self, title: str) -> None:
        anchor = f"qaSection{len(self.sections) + 1}"  # no "_": PDF names escape it
        paragraph = self.doc.add_paragraph(style="Heading 1")
        paragraph._p.append(parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="'
                                      f'{len(self.sections) + 1}" w:name="{anchor}"/>'))
        paragraph.add_run(title)
        paragraph._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="'
                                      f'{len(self.sections) + 1}"/>'))
        self.sections.append((anchor, title))

    def bullets(self, loop: str, item: str, empty: str) -> None:
        """A bulleted list from a loop, with a sentence when the list is empty."""
        self.tag(f"{{%p for {loop} %}}")
        self.p(item, "List Bullet")
        self.tag("{%p else %}")
        self.p(empty)
        self.tag("{%p endfor %}")

    def table(self, loop: str, columns: list[tuple[str, str, float]], *, caption: str,
              fills: dict[int, str] | None = None, footer: list[str] | None = None,
              middle: set[int] | frozenset[int] = frozenset(),
              note: tuple[str, str] | None = None) -> None:
        """A table whose header row repeats and whose body row repeats over ``loop``.

        ``columns`` are (header, cell text with tags, width mm); ``fills`` maps a column to
        the context value holding its cell shading; ``footer`` is a fixed last row; ``note``
        (condition, text) a second row per record, across the whole table, shown only when
        the condition holds (the partners' commentary under an indicator).
        """
        extra = 3 if note else 0
        rows = 4 + extra + (1 if footer else 0)
        self._keep_with_table()
        table = self.doc.add_table(rows=rows, cols=len(columns))
        table.style = self.doc.styles["Table Grid"]
        table.autofit = False
        head, start, body = table.rows[:3]
        end = table.rows[3 + extra]
        for i, (header, text, _width) in enumerate(columns):
            _cell(head.cells[i], header, "Table heading", fill=HEADER_FILL)
            cell_text = (f"{{% cellbg {fills[i]} %}}" if fills and i in fills else "") + text
            _cell(body.cells[i], cell_text, "Table text",
                  middle=i in middle)
            _cell(start.cells[i], f"{{%tr for {loop} %}}" if i == 0 else "", "Table text")
            _cell(end.cells[i], "{%tr endfor %}" if i == 0 else "", "Table text")
            if note:
                _cell(table.rows[3].cells[i], f"{{%tr if {note[0]} %}}" if i == 0 else "",
                      "Table text")
                _cell(table.rows[5].cells[i], "{%tr endif %}" if i == 0 else "", "Table text")
            if footer:
                _cell(table.rows[-1].cells[i], footer[i], "Table text", bold=True)
        _widths(table, [w for _, _, w in columns])
        if note:
            merged = table.rows[4].cells[0].merge(table.rows[4].cells[-1])
            _cell(merged, note[1], "Table text")
            for paragraph in body.cells[0].paragraphs:  # keep the record's two rows together
                paragraph.paragraph_format.keep_with_next = True
        _repeat_header(head)
        for cell in head.cells:  # the header row stays with the first row under it
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
        for row in table.rows[1:]:
            _cant_split(row)
        _describe(table, caption)

    def _keep_with_table(self) -> None:
        """The paragraph that introduces a table (the last one that is not a template tag)
        stays on the table's page, so a heading and its sentence never end a page alone."""
        for paragraph in reversed(self.doc.paragraphs):
            if paragraph.style.name != "Template tag":
                paragraph.paragraph_format.keep_with_next = True
                return

    def table_or(self, condition: str, empty: str, build) -> None:
        """A table shown only when ``condition`` holds, else a sentence."""
        self.tag(f"{{%p if {condition} %}}")
        build()
        self.tag("{%p else %}")
        self.p(empty)
        self.tag("{%p endif %}")

    def figure(self, image: str, caption: str) -> None:
        self.p(image, "Figure")
        self.p(caption, "Caption")

    def section_break(self, landscape: bool) -> None:
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        _page(section, landscape)

    def contents(self) -> None:
        self.p("Contents", "TOC Heading")
        self.toc_anchor = self.doc.add_paragraph(style="TOC 1")

    def finish_contents(self) -> None:
        """The contents: one linked entry per section, then a right tab and a PAGEREF field
        to the section's bookmark. The field's shown value starts empty (a plain list of
        links, so Word has nothing to ask about); LibreOffice works the page out when it
        lays the document out, and qa_xl copies those pages into the fields when it writes
        the PDF (:func:`qa_xl.papers.pdf.fill_contents`)."""
        anchor = self.toc_anchor
        paragraphs = [anchor.insert_paragraph_before(style="TOC 1") for _ in self.sections[1:]]
        paragraphs.append(anchor)  # each inserted paragraph lands just before the anchor
        for paragraph, (bookmark, title) in zip(paragraphs, self.sections):
            paragraph._p.append(parse_xml(
                f'<w:hyperlink {nsdecls("w")} w:anchor="{bookmark}" w:history="1"><w:r>'
                f"<w:t>{title}</w:t></w:r></w:hyperlink>"))
            paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:tab/></w:r>'))
            for xml in ('<w:fldChar w:fldCharType="begin"/>',
                        f'<w:instrText xml:space="preserve"> PAGEREF {bookmark} \\h '
                        "</w:instrText>",
                        '<w:fldChar w:fldCharType="separate"/>', '<w:t xml:space="preserve">'
                        "</w:t>", '<w:fldChar w:fldCharType="end"/>'):
                paragraph._p.append(parse_xml(f'<w:r {nsdecls("w")}>{xml}</w:r>'))


def _cell(cell, text: str, style: str, *, fill: str | None = None, bold: bool = False,
          middle: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    if text:
        run = paragraph.add_run(text)
        run.bold = bold or None
    if fill:
        tc_pr = cell._tc.get_or_add_tcPr()
        tc_pr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" '
                               f'w:fill="{fill}"/>'))
    cell.vertical_alignment = (WD_CELL_VERTICAL_ALIGNMENT.CENTER if middle
                               else WD_CELL_VERTICAL_ALIGNMENT.TOP)


def _repeat_header(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _cant_split(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _widths(table, widths_mm: list[float]) -> None:
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(width).twips)))
    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(int(Mm(sum(widths_mm)).twips)))


def _describe(table, caption: str) -> None:
    """The table's title for assistive technology (Word's Alt Text for tables)."""
    tbl_pr = table._tbl.tblPr
    tbl_pr.append(parse_xml(f'<w:tblCaption {nsdecls("w")} w:val="{caption}"/>'))


def _new_document(footer_text: str):
    doc = Document()
    _styles(doc)
    _settings(doc)
    _page(doc.sections[0])
    _header_footer(doc, footer_text)
    props = doc.core_properties
    props.title = ""
    props.language = "en-GB"
    props.author = "qa_xl"
    props.comments = "Template for qa_xl; see report_templates/README.md"
    props.keywords = ""
    props.revision = 1
    return doc


def _cover(b: Builder, title: str, subtitle: str, meeting_label: str, about: str) -> None:
    b.p("{{ partnership }}", "Subtitle")
    b.p(title, "Title")
    b.p(subtitle, "Subtitle")
    for label, value in ((meeting_label, "{{ meeting_date }}"),
                         ("Reporting period: ", "{{ period }} ({{ period_dates }})"),
                         ("Version: ", "{{ version }}, produced {{ generated_on }}"),
                         ("Protective marking: ", "{{ protective_marking }}")):
        b.p(value, "Cover detail", bold_label=label)
    b.p()
    b.p(about, bold_label="About this paper. ")
    b.p("Figures are consolidated from the partners' returns in {{ workbook }}; the status of "
        "activities, risks and actions is as at {{ as_at }}. RAG ratings are always written as "
        "words as well as shown by colour.", "Note")
    b.doc.add_page_break()
    b.contents()


# ------------------------------------------------------------------------- shared sections

SCORECARD_INTRO = (
    "Each indicator's latest figure for {{ period }} (or its latest half-year or year), "
    "consolidated from the partners' returns: rates are recomputed from the summed "
    "numerators and denominators. RAG: Green is on or beyond the target; Amber is short of "
    "it by no more than the indicator's tolerance; Red is further short; No target means "
    "there is none (or no better direction). Direction of travel compares with the previous "
    "period: the arrow shows which way the figure moved, the word whether that is better. "
    "The trend line shows every period reported, the target dashed.")


def _scorecard_table(b: Builder, loop: str) -> None:
    """The scorecard, portrait: the partners' commentary in a row of its own under the
    indicator's, when there is any."""
    b.table(loop, [("Indicator", "{{ r.name }}", 48), ("Value", "{{ r.value }}", 17),
                   ("Target", "{{ r.target }}", 16), ("RAG", "{{ r.rag }}", 15),
                   ("Direction of travel", "{{ r.arrow }} {{ r.direction }}", 21),
                   ("Trend", "{{ r.trend }}", 33), ("Partners reported", "{{ r.partners }}",
                                                     20)],
            caption="Scorecard", fills={3: "r.rag_fill"}, middle={5},
            note=("r.commentary", "Partners' commentary: {{ r.commentary }}"))


def _attention(b: Builder) -> None:
    """The counts first, then the worst items, worst first."""
    b.p("{{ summary.headline }}", bold_label="At a glance: ")
    b.p("What needs attention first", "Heading 2")
    b.bullets("x in summary.attention", "{{ x }}", "Nothing is Red or overdue.")


def _summary_lists(b: Builder, lists: list[tuple[str, str, str]]) -> None:
    for title, key, empty in lists:
        b.p(title, "Heading 2")
        b.bullets(f"x in summary.{key}", "{{ x }}", empty)


def _at_a_glance(b: Builder) -> None:
    b.p("Indicators at a glance", "Heading 2")
    b.table("q in summary.rag_counts", [
        ("Question", "{{ q.question }}", 50), ("Green", "{{ q.green }}", 18),
        ("Amber", "{{ q.amber }}", 18), ("Red", "{{ q.red }}", 18),
        ("No target", "{{ q.no_target }}", 22), ("No data", "{{ q.no_data }}", 22),
        ("Total", "{{ q.total }}", 22)], caption="RAG ratings by OBA question",
        footer=["All indicators", "{{ summary.totals.green }}", "{{ summary.totals.amber }}",
                "{{ summary.totals.red }}", "{{ summary.totals.no_target }}",
                "{{ summary.totals.no_data }}", "{{ summary.totals.total }}"])


def _risk_table(b: Builder, loop: str, caption: str) -> None:
    b.table(loop, [
        ("Risk", "{{ k.id }}: {{ k.title }}", 52), ("Owner", "{{ k.owner }}", 28),
        ("Likelihood × impact", "{{ k.likelihood }} × {{ k.impact }}", 19),
        ("Score", "{{ k.score }}", 13), ("Band", "{{ k.band }}", 17),
        ("Change", "{{ k.arrow }} {{ k.change }}", 21),
        ("Next review", "{{ k.next_review }}", 20)],
        caption=caption, fills={4: "k.band_fill"})


def _actions_table(b: Builder, loop: str, caption: str) -> None:
    b.table(loop, [
        ("Action", "{{ a.id }}: {{ a.action }}", 50), ("Source", "{{ a.source }}", 27),
        ("Learning area", "{{ a.area }}", 28), ("Owner", "{{ a.owner }}", 25),
        ("Due", "{{ a.due }}", 19), ("Status", "{{ a.status }}", 21)],
        caption=caption, fills={5: "a.status_fill"})


def _by_area_table(b: Builder) -> None:
    b.table_or("actions.by_area", "No action is recorded yet.", lambda: b.table(
        "g in actions.by_area", [
        ("Learning area", "{{ g.area }}", 60), ("Open", "{{ g.open }}", 20),
        ("Overdue", "{{ g.overdue }}", 22), ("Due soon", "{{ g.due_soon }}", 22),
        ("Done", "{{ g.done }}", 22), ("Total", "{{ g.total }}", 24)],
        caption="Actions by learning area"))


def _forward_plan(b: Builder, loop: str, empty: str) -> None:
    b.tag(f"{{%p for {loop} %}}")
    b.p("{{ m.meeting }}: {{ m.date }}", "Heading 3")
    b.table_or("m.activities", "Nothing is due to report to this meeting.", lambda: b.table(
        "a in m.activities", [
            ("Activity", "{{ a.title }}", 62), ("Type", "{{ a.type }}", 36),
            ("Lead", "{{ a.lead }}", 30), ("Due", "{{ a.due }}", 20),
            ("Status", "{{ a.status }}", 22)],
        caption="Forward plan", fills={4: "a.status_fill"}))
    b.tag("{%p else %}")
    b.p(empty)
    b.tag("{%p endfor %}")


def _provenance(b: Builder) -> None:
    """Appendix: where every figure comes from, down to the partner, file and cell."""
    b.h1("Appendix: where the figures come from")
    b.p("For {% if provenance_scope %}each of {{ provenance_scope }} indicators{% else %}every "
        "indicator{% endif %}, the partners' figures behind it: the cell of the master "
        "workbook that holds each one, the return file it was imported from (its name, the "
        "first 12 characters of its sha256 fingerprint and when it was imported), who signed "
        "the return off, and the rule that combined them. qa-xl explain WORKBOOK INDICATOR "
        "prints the same trail for any indicator and period.")
    b.tag("{%p for t in provenance %}")
    b.p("{{ t.name }}, {{ t.period }}: {{ t.figure }}", "Heading 3")
    b.p("{{ t.rule }}: {{ t.arithmetic }}", "Note")
    b.table_or("t.sources", "No partner sent a figure.", lambda: b.table("s in t.sources", [
        ("Partner", "{{ s.partner }}", 32),
        ("Figure", "{{ s.figure }}{% if s.note %} (not counted: {{ s.note }}){% endif %}\n"
                   "{{ s.period }}", 24),
        ("Cell in the master", "{{ s.cell }}", 30),
        ("Return file", "{{ s.file }}{% if s.sha256 %}, sha256 {{ s.sha256 }}{% endif %}", 42),
        ("Imported", "{{ s.imported }}", 17), ("Signed off", "{{ s.signed_off }}", 25)],
        caption="Where the figures come from"))
    b.p("Expected but sent no figure: {{ t.missing }}.", "Note")
    b.tag("{%p endfor %}")


def _self_assessment(b: Builder, loop: str, full: bool = False) -> None:
    """One self-assessment cycle: its headline, the heat table organisation × standard (the
    grade as a word in every cell, its fill repeating it, the movement since the last cycle
    in words), grades by standard, who has not returned, the standards most only partly meet
    and the outstanding actions. ``loop`` binds ``s``; ``full`` lists every action."""
    b.p("{{ s.headline }}")
    b.tag("{%p if s.show_heat %}")
    b.p("Grades by organisation and standard", "Heading 3")
    b.p("Each cell is the organisation's grade for the standard: the worst grade it gave any "
        "of the standard's questions. Where it moved since {{ s.previous_cycle }} the cell "
        "says from what.", "Note")
    b.table("r in s.heat", [
        ("Organisation", "{{ r.name }}", 38),
        ("{%tc for t in s.standards %}", "{%tc for c in r.cells %}", 1),
        ("{{ t.id }}", "{% cellbg c.fill %}{{ c.text }}", 130),
        ("{%tc endfor %}", "{%tc endfor %}", 1)],
        caption="Grades by organisation and standard")
    b.tag("{%p endif %}")
    b.p("Grades by standard", "Heading 3")
    b.table("t in s.by_standard", [
        ("Standard", "{{ t.id }}: {{ t.name }}", 70),
        ("{%tc for g in s.grades %}", "{%tc for g in t.grades %}", 1),
        ("{{ g }}", "{{ g.count }}", 78), ("{%tc endfor %}", "{%tc endfor %}", 1),
        ("Not answered", "{{ t.not_answered }}", 20)], caption="Grades by standard")
    b.p("Standards most only partly meet", "Heading 3")
    b.bullets("m in s.mostly_partly", "{{ m.id }}: {{ m.name }}, partly met by {{ m.partly }} "
              "of {{ m.graded }} ({{ m.share }})",
              "No standard is only partly met by most of those that graded it.")
    b.p("Not returned", "Heading 3")
    b.bullets("o in s.not_returned", "{{ o }}", "Every organisation has returned.")
    b.p("Outstanding actions", "Heading 3")
    b.p("{{ s.action_counts.raised }} actions followed from this cycle: "
        "{{ s.action_counts.outstanding }} outstanding, {{ s.action_counts.overdue }} overdue. "
        + ("" if full else "{{ s.actions_note }}"))
    loop_actions = "a in s.actions" if full else "a in s.actions_shown"
    b.table_or(loop_actions.split(" in ")[1], "No action is outstanding.", lambda: b.table(
        loop_actions, [
            ("Organisation", "{{ a.organisation }}", 34), ("Action", "{{ a.action }}", 58),
            ("Owner", "{{ a.owner }}", 28), ("Due", "{{ a.due }}", 20),
            ("Status", "{{ a.status }}", 30)],
        caption="Outstanding actions", fills={4: "a.status_fill"}))


def _self_assessments(b: Builder, what: str) -> None:
    """The committee papers' section: every cycle open or newly closed."""
    b.h1("Section 11 and Section 175/157 self-assessments")
    b.p(what)
    b.tag("{%p for s in self_assessment %}")
    b.p("{{ s.title }}, {{ s.cycle }}", "Heading 2")
    _self_assessment(b, "s")
    b.tag("{%p else %}")
    b.p("No self-assessment cycle is open or has closed in the last year.")
    b.tag("{%p endfor %}")


# ------------------------------------------------------------------------------ the pack

def build_pack() -> bytes:
    doc = _new_document("{{ committee_short }} pack, {{ period }} · version {{ version }}")
    b = Builder(doc)
    _cover(b, "{{ committee }} pack", "Quality assurance and performance report, {{ period }}",
           "Meeting: ",
           "Progress on quality assurance is a standing item at each {{ committee_short }} "
           "meeting. This pack reports the quarter's key findings, good practice, significant "
           "risks and improvements; the performance dataset organised by the three Outcomes "
           "Based Accountability questions; statistical process control charts; the QA "
           "programme and its forward plan; the risk register; multi-agency case-file "
           "audits; the voice of children and families; learning and improvement actions; "
           "and partner return compliance.")

    b.h1("Summary: key findings, good practice, risks and improvements")
    b.p("The standing agenda item on quality assurance for {{ period }}. Each point is drawn "
        "from the sections that follow.")
    _attention(b)
    _summary_lists(b, [
        ("Key findings", "key_findings", "No findings this quarter."),
        ("Good practice", "good_practice", "None recorded this quarter."),
        ("Significant risks", "significant_risks", "No significant risks this quarter."),
        ("Improvements", "improvements", "No improvements recorded this quarter.")])
    _at_a_glance(b)
    b.tag("{%p if since_closed.closed %}")
    b.p("Figures changed since the period was closed", "Heading 2")
    b.p("{{ since_closed.summary }}")
    b.table_or("since_closed.changed", "", lambda: b.table(
        "c in since_closed.changed", [("Indicator", "{{ c.name }}", 90),
                                      ("When it was closed", "{{ c.before }}", 40),
                                      ("Now", "{{ c.after }}", 40)],
        caption="Figures changed since the period was closed"))
    b.p("Why: the reasons given when returns were imported into the closed period.")
    b.bullets("x in since_closed.reasons", "{{ x }}", "No import into the closed period was "
              "recorded: the figures were changed in the master itself.")
    b.tag("{%p endif %}")

    b.h1("Performance scorecard")
    b.p(SCORECARD_INTRO)
    b.tag("{%p for g in scorecard %}")
    b.p("{{ g.question }}", "Heading 2")
    b.p("{{ g.description }} Green {{ g.counts.green }}, Amber {{ g.counts.amber }}, Red "
        "{{ g.counts.red }}, no target {{ g.counts.no_target }}, no data "
        "{{ g.counts.no_data }}.")
    _scorecard_table(b, "r in g.rows")
    b.tag("{%p endfor %}")

    b.h1("Statistical process control")
    b.p("Statistical process control (SPC) separates ordinary ups and downs (common cause "
        "variation) from changes worth acting on (special cause variation), the way NHS "
        "England's Making Data Count programme does. Each chart shows the figures, their mean "
        "and process limits (mean ± 2.66 × the mean moving range). A point signals special "
        "cause when:")
    for rule in ("it lies beyond a process limit;",
                 "it is one of seven points in a row each rising, or each falling;",
                 "it is one of two out of three points close to a process limit (beyond "
                 "two-thirds of the way to it) on the same side of the mean;",
                 "it is one of seven points in a row on the same side of the mean."):
        b.p(rule, "List Bullet")
    b.p("Points are marked ▲ special cause improvement, ▼ special cause concern, ◆ unusual "
        "where no direction is better, and ● common cause; process limits are dotted and the "
        "target dash-dotted. A percentage's limits are kept within 0% to 100%, a count's at 0 "
        "or more. Assurance says whether the target will be met: consistently (it lies "
        "outside the limits on the good side), never without change (outside on the bad "
        "side), or hit and miss (between the limits). Where the process changed, the "
        "limits are recalculated from that period (the officer records it, with the reason, "
        "on the Config sheet); a dashed line marks it on the chart. Charts are drawn for "
        "indicators with at least {{ spc_min_points }} figures.")
    b.p("The verdicts at a glance", "Heading 2")
    b.p("The icons follow Making Data Count: H or L in blue is special cause improvement "
        "(higher or lower), in orange special cause concern, in purple unusual where no "
        "direction is better; ~ in grey is common cause. For assurance, P in blue is "
        "consistently passing the target, F in orange consistently failing, ? in grey hit "
        "and miss, and – not assessed.")
    b.tag("{%p if spc %}")
    b.table("s in spc", [
        ("Indicator", "{{ s.name }}", 48), ("Figures", "{{ s.points }}", 18),
        ("Latest", "{{ s.latest }}", 16), ("Process limits", "{{ s.limits }}", 24),
        ("Variation", "{{ s.variation_icon }}\n{{ s.variation }}", 34),
        ("Assurance", "{{ s.assurance_icon }}\n{{ s.assurance }}", 30)],
        caption="SPC verdicts")
    b.tag("{%p endif %}")
    b.tag("{%p if spc_short %}")
    b.p("Not charted yet", "Heading 3")
    b.p("With fewer than {{ spc_min_points }} figures the process limits are not reliable, so "
        "these indicators have no chart yet:")
    b.table("x in spc_short", [("Indicator", "{{ x.name }}", 130),
                                ("Figures so far", "{{ x.points }}", 40)],
            caption="Indicators not charted yet")
    b.tag("{%p endif %}")
    b.tag("{%p for s in spc %}")
    b.p("{{ s.name }}", "Heading 3")
    b.figure("{{ s.chart }}", "{{ s.chart_alt }}")
    b.tag("{%p if s.rebases %}")
    b.p("Limits recalculated {% for r in s.rebases %}from {{ r.period }} ({{ r.reason }})"
        "{% if not loop.last %}; {% endif %}{% endfor %}. {{ s.rebase_note }}", "Note")
    b.tag("{%p endif %}")
    b.tag("{%p else %}")
    b.p("No indicator has {{ spc_min_points }} or more figures yet, so no SPC chart is shown.")
    b.tag("{%p endfor %}")

    b.h1("QA programme: progress and forward plan")
    b.p("{{ programme.summary }}")
    b.p("Activities", "Heading 2")
    b.table("a in programme.activities", [
        ("Activity", "{{ a.title }}", 45), ("Type", "{{ a.type }}", 28),
        ("Lead", "{{ a.lead }}", 25), ("Last done", "{{ a.last_done }}", 18),
        ("Next due", "{{ a.next_due }}", 18), ("Reports to", "{{ a.route }}", 16),
        ("Status", "{{ a.status }}", 20)],
        caption="QA programme activities, overdue first", fills={6: "a.status_fill"})
    b.p("Findings reported this quarter", "Heading 2")
    b.bullets("a in programme.reported", "{{ a.title }} ({{ a.date }}): {{ a.findings }}",
              "No findings were recorded for activities reported this quarter.")
    b.p("Forward plan", "Heading 2")
    b.p("What reports to the next two {{ committee_short }} meetings and the next {{ board }} "
        "meeting (an overdue activity goes to the first meeting).")
    _forward_plan(b, "m in programme.forward_plan", "No meeting dates are set in Config "
                  "(next_qpc_meeting, following_qpc_meeting, next_board_meeting).")
    b.p("Content areas through the five steps", "Heading 2")
    b.table("c in programme.content_areas", [
        ("Content area", "{{ c.area }}", 50), ("Kind", "{{ c.kind }}", 27),
        ("Priority", "{{ c.priority }}", 16), ("Steps done", "{{ c.steps }}", 16),
        ("Next step", "{{ c.next_step }}", 45), ("Good defined", "{{ c.good }}", 16)],
        caption="Content areas")
    b.tag("{%p if programme.priority_gaps %}")
    b.p("High-priority content areas with no indicator: {{ programme.priority_gaps|join('; ') "
        "}}.")
    b.tag("{%p endif %}")
    b.tag("{%p if programme.quarterly_gaps %}")
    b.p("Quarterly activities with nothing done in the last two quarters: "
        "{{ programme.quarterly_gaps|join('; ') }}.")
    b.tag("{%p endif %}")

    b.h1("Risk register")
    b.p("{{ risks.summary }}")
    b.p("Heat map of open risks", "Heading 2")
    b.figure("{{ risks.heat_map }}", "{{ risks.heat_map_alt }}")
    b.p("Open risks, highest score first", "Heading 2")
    b.table_or("risks.open", "There are no open risks.",
               lambda: _risk_table(b, "k in risks.open", "Open risks"))

    b.h1("Case-file audit findings")
    b.table_or("audits.stages", "No case-file audit has been graded yet.", lambda: (b.p(
        "Grades from {{ audits.scope }}, by stage of the case ({{ audits.cases }} cases)."),
        b.table("s in audits.stages", [
            ("Stage", "{{ s.stage }}", 42), ("Outstanding", "{{ s.outstanding }}", 23),
            ("Good", "{{ s.good }}", 14), ("Requires improvement",
                                            "{{ s.requires_improvement }}", 26),
            ("Inadequate", "{{ s.inadequate }}", 21), ("Total", "{{ s.total }}", 14),
            ("Good or better", "{{ s.good_share }}", 30)],
        caption="Grades by stage")))
    b.p("Audits over time", "Heading 2")
    b.table_or("audits.history", "No audit has met yet.", lambda: b.table(
        "h in audits.history", [
            ("Audit", "{{ h.id }}", 30), ("Date", "{{ h.date }}", 24),
            ("Theme", "{{ h.theme }}", 46), ("Cases", "{{ h.cases }}", 18),
            ("Gradings", "{{ h.gradings }}", 22), ("Good or better", "{{ h.good_share }}",
                                                   30)], caption="Audits over time"))
    b.p("Recurring areas for development", "Heading 2")
    b.bullets("t in audits.themes", "{{ t.theme }}: {{ t.audits }} audits ({{ t.audit_ids }}), "
              "for example “{{ t.example }}”", "No area for development recurs across audits.")
    b.p("What worked well", "Heading 2")
    b.bullets("s in audits.strengths", "{{ s.strength }} ({{ s.gradings }} gradings Good or "
              "better)", "No strengths were recorded.")
    b.p("Recommendations without an action", "Heading 2")
    b.bullets("u in audits.unactioned", "{{ u.audit }}: {{ u.recommendation }}",
              "Every audit recommendation has an action.")

    b.h1("Voice of children and families")
    b.p("What children and families answered, all partners together, in {{ voice.period }}. "
        "A figure built on fewer than {{ voice.min_respondents }} answers is not shown, so "
        "that no child can be identified; partners' own figures are not shown for the same "
        "reason.")
    b.table_or("voice.questions", "No answers were recorded for {{ voice.period }}.",
               lambda: b.table("q in voice.questions", [
                   ("Question", "{{ q.question }}", 60), ("Respondents",
                                                          "{{ q.respondents }}", 25),
                   ("Yes", "{{ q.yes }}", 16), ("Partly", "{{ q.partly }}", 16),
                   ("No", "{{ q.no }}", 16), ("Yes, previous quarter", "{{ q.yes_previous }}",
                                              37)], caption="Answers to the three questions"))
    b.p("Stories", "Heading 2")
    b.tag("{%p for s in voice.stories %}")
    b.p("“{{ s.story }}”", "Quote")
    b.p("{{ s.partner }}, asked: {{ s.question }}", "Caption")
    b.tag("{%p else %}")
    b.p("No stories were recorded for {{ voice.period }}.")
    b.tag("{%p endfor %}")

    b.h1("Learning and improvement actions")
    b.p("{{ actions.summary }}")
    b.p("Open actions, overdue first", "Heading 2")
    b.table_or("actions.open", "There are no open actions.",
               lambda: _actions_table(b, "a in actions.open", "Open actions"))
    b.p("By learning area", "Heading 2")
    _by_area_table(b)
    b.p("Evidence of impact", "Heading 2")
    b.bullets("a in actions.impact", "{{ a.id }} ({{ a.area }}): {{ a.evidence }}",
              "No completed action records evidence of impact yet.")

    _self_assessments(b, "The partners' Section 11 self-assessments and the schools' Section "
                      "175/157 audits, while a cycle is open and for a year after it ends: "
                      "how each standard is met, the movement since the last cycle and the "
                      "action plans that follow, monitored here.")

    b.h1("Partner return compliance")
    b.p("{{ compliance.summary }} The last column counts returns on time in the last "
        "{{ compliance.quarters }} quarters.")
    b.table("c in compliance.partners", [
        ("Partner", "{{ c.name }}", 52), ("Status", "{{ c.status }}", 20),
        ("Figures", "{{ c.rows }}", 16), ("Submitted", "{{ c.submitted }}", 24),
        ("Due", "{{ c.due }}", 22), ("On time recently", "{{ c.on_time_recent }}", 36)],
        caption="Partner returns", fills={1: "c.status_fill"})

    b.h1("Appendix: indicator definitions")
    b.p("Every indicator of the performance dataset: what is counted, and how.")
    b.table("d in definitions", [
        ("Indicator", "{{ d.name }} ({{ d.id }})", 44),
        ("Measure", "{{ d.question }} {{ d.unit }}; {{ d.polarity }}; {{ d.frequency }}", 36),
        ("Target", "{{ d.target }}", 15), ("Definition", "{{ d.definition }}", 75)],
        caption="Indicator definitions")
    _provenance(b)
    b.finish_contents()
    return _save(doc)


# ----------------------------------------------------------------------- the Board report

def build_board() -> bytes:
    doc = _new_document("{{ board }} performance report, {{ period }} · version {{ version }}")
    b = Builder(doc)
    _cover(b, "{{ board }} performance report", "Half-yearly report on safeguarding "
           "performance and quality assurance, {{ period }}", "{{ board }} meeting: ",
           "The {{ committee }} reports to the {{ board }} every half-year on the performance "
           "dataset, the key risks, the quality assurance programme and the learning taken "
           "from it. Every figure is for the half-year {{ period }}: counts are its quarters "
           "added together, rates come from their numerators and denominators added "
           "together.")

    b.h1("Summary for the {{ board }}")
    b.p("What the {{ board }} needs to know about {{ period }}. Each point is drawn from the "
        "sections of this report.")
    _attention(b)
    _summary_lists(b, [
        ("Key findings", "key_findings", "No findings this half-year."),
        ("Good practice", "good_practice", "None recorded this half-year."),
        ("Significant risks", "significant_risks", "No significant risks."),
        ("Improvements", "improvements", "No improvements recorded.")])
    _at_a_glance(b)

    b.h1("Headline scorecard")
    b.p("{{ figures_note }}")
    b.p("The headline scorecard holds every Red indicator, the indicators that worsened most "
        "and those of the content areas the {{ board }} has made a high priority; the last "
        "column says why each is here. Every other indicator is in the appendix. RAG: Green "
        "is on or beyond the target; Amber is short of it by no more than the indicator's "
        "tolerance; Red is further short; No target means there is none (or no better "
        "direction). The trend line shows every half-year, the target dashed.")
    b.tag("{%p for g in scorecard %}")
    b.p("{{ g.question }}", "Heading 2")
    _board_table(b, "r in g.rows", "Headline scorecard", why=True)
    b.tag("{%p endfor %}")

    b.h1("Key risks")
    b.p("{{ risks.summary }}")
    b.figure("{{ risks.heat_map }}", "{{ risks.heat_map_alt }}")
    b.p("Risks needing the {{ board }}'s attention", "Heading 2")
    b.table_or("risks.significant", "No open risk is in a high band or worsening.",
               lambda: _risk_table(b, "k in risks.significant", "Key risks"))

    b.h1("Quality assurance programme")
    b.p("{{ programme.summary }}")
    b.p("Overdue activities", "Heading 2")
    b.table_or("programme.overdue", "No activity is overdue.", lambda: b.table(
        "a in programme.overdue", [
            ("Activity", "{{ a.title }}", 62), ("Lead", "{{ a.lead }}", 36),
            ("Next due", "{{ a.next_due }}", 22), ("Reports to", "{{ a.route }}", 22),
            ("Status", "{{ a.status }}", 28)], caption="Overdue QA activities",
        fills={4: "a.status_fill"}))
    b.p("Reporting to the next {{ board }} meeting", "Heading 2")
    _forward_plan(b, "m in programme.board_plan", "No {{ board }} meeting date is set in "
                  "Config (next_board_meeting).")

    b.h1("Learning and improvement")
    b.p("{{ actions.summary }}")
    b.p("By learning area", "Heading 2")
    _by_area_table(b)
    b.p("Overdue actions", "Heading 2")
    b.table_or("actions.overdue", "No action is overdue.",
               lambda: _actions_table(b, "a in actions.overdue", "Overdue actions"))
    b.p("Evidence of impact", "Heading 2")
    b.bullets("a in actions.impact", "{{ a.id }} ({{ a.area }}): {{ a.evidence }}",
              "No completed action records evidence of impact yet.")

    _self_assessments(b, "Where the partners' Section 11 self-assessments and the schools' "
                      "Section 175/157 audits stand, while a cycle is open and for a year "
                      "after it ends; each cycle's full report comes to the {{ board }} on its "
                      "own.")

    b.h1("Appendix: the other indicators")
    b.p("Every indicator not in the headline scorecard, with its figure for the half-year "
        "{{ period }} worked out the same way.")
    b.tag("{%p for g in other_indicators %}")
    b.p("{{ g.question }}", "Heading 2")
    _board_table(b, "r in g.rows", "Other indicators", why=False)
    b.tag("{%p else %}")
    b.p("Every indicator is in the headline scorecard.")
    b.tag("{%p endfor %}")
    _provenance(b)
    b.finish_contents()
    return _save(doc)


def _board_table(b: Builder, loop: str, caption: str, why: bool) -> None:
    """The half-year's scorecard: why each headline is shown, or (in the appendix) how many
    partners reported."""
    last = ("Why shown", "{{ r.why }}", 32) if why else (
        "Partners reported", "{{ r.partners }}", 22)
    b.table(loop, [("Indicator", "{{ r.name }}", 40 if why else 50),
                   ("Half-year", "{{ r.value }}", 16), ("Target", "{{ r.target }}", 15),
                   ("RAG", "{{ r.rag }}", 14),
                   ("Direction of travel", "{{ r.arrow }} {{ r.direction }}", 20),
                   ("Trend", "{{ r.trend }}", 33), last],
            caption=caption, fills={3: "r.rag_fill"}, middle={5})


# ------------------------------------------------------------------------ the yearly report

def build_yearly() -> bytes:
    """The yearly report: for families and professionals, in plain words."""
    doc = _new_document("{{ partnership_short }} yearly report {{ year }}")
    b = Builder(doc)
    b.p("{{ partnership }}", "Subtitle")
    b.p("Keeping children safe: our year {{ year }}", "Title")
    b.p("The yearly report of the safeguarding partners", "Subtitle")
    b.p("{{ coverage }}", "Cover detail", bold_label="This report covers: ")
    b.p("{{ generated_on }}", "Cover detail", bold_label="Published: ")
    b.p()
    b.p("This report is for children, families and everyone who works with them. It tells "
        "you what the partners who keep children safe here did in {{ year }}, what "
        "difference it made, what we learned, where we did not do well enough and what we "
        "will do next. The police, health services, the council, schools and other "
        "organisations are partners in this work.", bold_label="About this report. ")
    b.p("The figures come from the partners' own records, brought together in "
        "{{ workbook }}. Each chart is described in the words around it.", "Note")
    b.doc.add_page_break()
    b.contents()

    b.h1("The year at a glance")
    b.bullets("x in glance", "{{ x }}", "There is nothing to report for this year yet.")

    b.h1("Our priorities and how far we have got")
    b.p("We choose parts of our work to check on, such as domestic abuse or early help. For "
        "each one we take five steps:")
    for number, step in enumerate(("we choose it as a priority;",
                                   "we say what good looks like;",
                                   "we find out what we already know;",
                                   "we find out what else we need to know;",
                                   "we plan how we will check on it."), start=1):
        b.p(f"Step {number}: {step}", "List Bullet")
    b.table("a in priorities", [
        ("Part of our work", "{{ a.area }}", 48), ("Priority", "{{ a.priority }}", 18),
        ("Steps taken", "{{ a.steps }}", 18), ("How far we have got", "{{ a.progress }}", 86)],
        caption="Priorities and progress")

    b.h1("Are children and families better off?")
    b.p("{{ impact_summary }}")
    b.tag("{%p for m in impact %}")
    b.p("{{ m.name }}", "Heading 3")
    b.p("{{ m.text }}")
    b.figure("{{ m.chart }}", "{{ m.chart_alt }}")
    b.tag("{%p endfor %}")

    b.h1("What we learned from reviews and audits")
    b.p("{{ learning.summary }}")
    b.table_or("learning.audits", "No audit met this year.", lambda: b.table(
        "h in learning.audits", [
            ("Audit", "{{ h.id }}", 32), ("When", "{{ h.date }}", 26),
            ("What it looked at", "{{ h.theme }}", 56), ("Cases", "{{ h.cases }}", 18),
            ("Good or better", "{{ h.good_share }}", 38)], caption="Audits this year"))
    b.p("What our audits keep finding", "Heading 2")
    b.bullets("t in learning.themes", "{{ t }}", "No problem came up again and again.")
    b.p("What our reviews found", "Heading 2")
    b.bullets("r in learning.reviews", "{{ r.title }} ({{ r.date }}): {{ r.findings }}",
              "No review reported findings this year.")
    b.p("What changed because of what we learned", "Heading 2")
    b.bullets("a in learning.impact", "{{ a.action }} {{ a.evidence }}",
              "No finished action has recorded what changed yet.")

    b.h1("What children and families told us")
    b.p("{{ voice.summary }} We ask three questions: did we listen to you, did we treat you "
        "with respect, and did we make a difference to keeping you safe and well? We do not "
        "show a figure when fewer than five people answered, so that no one can be "
        "recognised.")
    b.table_or("voice.questions", "No answers were recorded this year.", lambda: b.table(
        "q in voice.questions", [
            ("Question", "{{ q.question }}", 80), ("Answers", "{{ q.answered }}", 26),
            ("Said yes", "{{ q.yes }}", 30), ("The year before", "{{ q.yes_before }}", 34)],
        caption="What children and families told us"))
    b.p("In their words", "Heading 2")
    b.tag("{%p for s in voice.stories %}")
    b.p("“{{ s.story }}”", "Quote")
    b.p("Told to {{ s.partner }}", "Caption")
    b.tag("{%p else %}")
    b.p("No stories were recorded this year.")
    b.tag("{%p endfor %}")
    b.p("What changed because of it", "Heading 2")
    b.bullets("a in voice.changed", "{{ a.action }} ({{ a.status }}). What changed: "
              "{{ a.evidence }}", "No action has come from what children and families told "
              "us yet.")

    b.h1("Where we made little or no progress")
    b.bullets("x in little_progress", "{{ x }}", "We made progress in every area we measure.")

    b.h1("How we checked on our work")
    b.p("{{ programme.summary }}")
    b.table_or("programme.by_type", "There is no plan of checks yet.", lambda: b.table(
        "t in programme.by_type", [
            ("Kind of check", "{{ t.type }}", 74), ("Planned", "{{ t.activities }}", 24),
            ("Took place", "{{ t.ran }}", 24), ("Late or missed", "{{ t.slipped }}", 24),
            ("Never done yet", "{{ t.no_record }}", 24)], caption="Checks against the plan"))

    b.h1("Section 11 and Section 175/157 self-assessments")
    b.p("{{ self_assessment.summary }}")

    b.h1("What we will do in {{ next_year }}")
    b.bullets("x in next_priorities", "{{ x }}", "We will keep checking on all our work.")

    b.h1("Words we use")
    b.table("w in glossary", [("Word", "{{ w.word }}", 50), ("What it means",
                                                               "{{ w.meaning }}", 120)],
            caption="Words we use")
    b.finish_contents()
    return _save(doc)


# ----------------------------------------------------------- the review of the QA programme

def build_review() -> bytes:
    """The committee's annual review of the QA programme and the next year's proposed."""
    doc = _new_document("{{ committee_short }}: review of the QA programme, {{ year }}")
    b = Builder(doc)
    _cover(b, "Review of the QA programme", "{{ year }}, and the programme proposed for "
           "{{ next_year }}", "Meeting: ",
           "Each year the {{ committee }} reviews the quality assurance programme and agrees "
           "the programme for the following year, prioritising the content areas. This "
           "paper sets out what each kind of activity did in {{ year }}, the content areas "
           "with no indicator or no QA activity, and the programme proposed for "
           "{{ next_year }}.")

    b.h1("Summary and decision")
    b.p("{{ summary }}")
    b.p("{{ decision }}", bold_label="Decision: ")
    b.p("Proposed additions", "Heading 2")
    b.bullets("x in additions", "{{ x }}", "No addition is proposed.")

    b.h1("The year by type of activity")
    b.table("t in by_type", [
        ("Type of activity", "{{ t.type }}", 36), ("Activities", "{{ t.activities }}", 19),
        ("Ran", "{{ t.ran }}", 11), ("Slipped", "{{ t.slipped }}", 15),
        ("No record", "{{ t.no_record }}", 15), ("Findings reported", "{{ t.findings }}", 48),
        ("Actions raised", "{{ t.actions_words }}", 26)], caption="The year by type")

    b.h1("Every activity")
    b.table("a in activities", [
        ("Activity", "{{ a.title }}", 50), ("Type", "{{ a.type }}", 34),
        ("Frequency", "{{ a.frequency }}", 20), ("Last done", "{{ a.last_done }}", 20),
        ("Outcome", "{{ a.outcome }}", 24), ("Next due", "{{ a.next_due }}", 22)],
        caption="Every activity in the year")

    b.h1("Content areas without an indicator or a QA activity")
    b.p("An area has no QA activity when no multi-agency audit in {{ year }} had it as its "
        "theme and no activity that ran names it.")
    b.p("No QA activity in {{ year }}", "Heading 2")
    b.bullets("g in no_activity", "{{ g.area }} ({{ g.priority }} priority)",
              "Every content area had some QA activity.")
    b.p("No indicator in the performance dataset", "Heading 2")
    b.bullets("g in no_indicator", "{{ g.area }} ({{ g.priority }} priority)",
              "Every content area has at least one indicator.")

    b.h1("Proposed programme for {{ next_year }}")
    b.p("Each activity of the timetable with its next due date and the dates it falls due in "
        "{{ next_year }}, for the committee to agree.")
    b.table("p in proposed", [
        ("Activity", "{{ p.title }}", 46), ("Lead", "{{ p.lead }}", 28),
        ("Frequency", "{{ p.frequency }}", 20), ("Reports to", "{{ p.route }}", 18),
        ("Next due", "{{ p.next_due }}{% if p.note %} ({{ p.note }}){% endif %}", 22),
        ("Due in {{ next_year }}", "{{ p.due_in_year }}", 36)],
        caption="Proposed programme")
    b.finish_contents()
    return _save(doc)


# --------------------------------------------------------- a self-assessment cycle's report

def build_self_assessment() -> bytes:
    doc = _new_document("{{ title }} · version {{ version }}")
    b = Builder(doc)
    _cover(b, "{{ title }}", "Report to the {{ board }} on the cycle and its action plans",
           "{{ board }} meeting: ",
           "The framework asks for a rolling programme of reports on the action plans to the "
           "{{ board }} over the two-year cycle. This report gives every organisation's grade "
           "for every standard, the movement since the last cycle, who has not returned, the "
           "standards most organisations only partly meet and every outstanding action.")
    b.tag("{%p for s in self_assessment %}")
    b.h1("The cycle at a glance")
    b.p("{{ s.headline }}")
    b.p("The grades", "Heading 2")
    b.table("g in s.grade_meanings", [("Grade", "{{ g.grade }}", 40),
                                      ("What it means", "{{ g.meaning }}", 130)],
            caption="The grading scale")
    b.p("The standards", "Heading 2")
    b.table("t in s.standards", [("Code", "{{ t.id }}", 30), ("Standard", "{{ t.name }}", 140)],
            caption="The standards")
    b.h1("Results and action plans")
    _self_assessment(b, "s", full=True)
    b.h1("Declined since the last cycle")
    b.table_or("s.declined", "No organisation's grade for a standard declined since "
               "{{ s.previous_cycle }}.", lambda: b.table("d in s.declined", [
                   ("Organisation", "{{ d.organisation }}", 60), ("Standard", "{{ d.standard }}",
                                                                 30),
                   ("{{ s.previous_cycle }}", "{{ d.previous }}", 40),
                   ("{{ s.cycle }}", "{{ d.grade }}", 40)],
                   caption="Grades that declined"))
    b.tag("{%p endfor %}")
    b.finish_contents()
    return _save(doc)


def _save(doc) -> bytes:
    """The document as bytes, with fixed zip entry dates so that the file only changes when
    this script does."""
    raw = io.BytesIO()
    doc.save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w",
                                                        zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == THUMBNAIL:  # python-docx's default one shows a blank page
                continue
            data = source.read(info.filename)
            if info.filename == "_rels/.rels":
                data = re.sub(rb'<Relationship [^>]*Target="docProps/thumbnail.jpeg"/>', b"",
                              data)
            entry = zipfile.ZipInfo(info.filename, FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return fixed.getvalue()


def main() -> None:
    for name, build in (("qpc_pack.docx", build_pack), ("board_report.docx", build_board),
                        ("yearly_report.docx", build_yearly),
                        ("programme_review.docx", build_review),
                        ("self_assessment_report.docx", build_self_assessment)):
        (HERE / name).write_bytes(build())
        print(f"Wrote {HERE / name}")


if __name__ == "__main__":
    main()
