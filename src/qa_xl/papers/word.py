"""Rendering a paper: the docxtpl template, strict about names, alt text on every picture,
and the checks a restyled template gets."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from qa_xl.core.errors import UnusableInput
from qa_xl.core.files import make_shareable
from qa_xl.papers import drawing
from qa_xl.papers.charts import Chart, ChartSlot
from qa_xl.papers.contexts import paper
from qa_xl.papers.data import (
    _BAD_XML,
    _DICT_NAMES,
    BOARD_TEMPLATE,
    PACK_TEMPLATE,
    REVIEW_TEMPLATE,
    SELF_ASSESSMENT_TEMPLATE,
    TEMPLATE_DIR,
    YEARLY_TEMPLATE,
)

if TYPE_CHECKING:
    from qa_xl.workbook.store import Store

# -------------------------------------------------------------------------------- rendering

class _Strict:
    """Holds the Undefined classes, made when jinja2 is imported (only when rendering)."""

    strict: Any = None
    recording: Any = None


def _undefined_classes() -> tuple[Any, Any]:
    """StrictUndefined that names the whole path ('scorecard[].rows[].nmae'), and a lenient
    twin that records every missing name instead of failing (for check_template)."""
    if _Strict.strict is None:
        from jinja2 import ChainableUndefined, StrictUndefined, UndefinedError

        def path(undefined: Any) -> str:
            owner = undefined._undefined_obj
            name = undefined._undefined_name
            base = getattr(owner, "_qa_path", None)
            if base is not None:
                return f"{base}.{name}" if base else str(name)
            return str(name) if name is not None else "(unknown)"

        class Strict(StrictUndefined):
            def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
                raise UndefinedError(f"undefined:{path(self)}")

            __str__ = __iter__ = __len__ = __bool__ = _fail_with_undefined_error  # type: ignore

        class Recording(ChainableUndefined):
            seen: ClassVar[set[str]] = set()

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                Recording.seen.add(path(self))

        _Strict.strict, _Strict.recording = Strict, Recording
    return _Strict.strict, _Strict.recording


class _Node(dict):
    """A context dict that knows its place ('scorecard[].rows[]'), for error messages."""

    _qa_path = ""


def _clean(text: str) -> str:
    """Text safe in a Word document: no characters XML forbids, tabs as spaces, Windows line
    ends as plain ones (docxtpl turns each newline into a line break)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _BAD_XML.sub("", text)


def _prepare(value: Any, path: str, picture: Callable[[Chart | ChartSlot], Any]) -> Any:
    """The context as the template sees it: dicts that know their path, clean strings,
    charts (drawn, or still a slot) as pictures."""
    if isinstance(value, dict):
        node = _Node()
        node._qa_path = path
        for key, item in value.items():
            if key in _DICT_NAMES:  # r.items would find dict.items, not the key
                raise ValueError(f"context key {key!r} hides a dict method")
            # the most common values first; only dicts and lists need to know their path
            if isinstance(item, str):
                node[key] = _clean(item)
            elif isinstance(item, dict | list | tuple):
                node[key] = _prepare(item, f"{path}.{key}" if path else key, picture)
            else:
                node[key] = _prepare(item, "", picture)
        return node
    if isinstance(value, list | tuple):
        inner = f"{path}[]"
        return [_clean(item) if isinstance(item, str) else _prepare(item, inner, picture)
                for item in value]
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, Chart | ChartSlot):
        return picture(value)
    return value


def _placeholder_png(index: int) -> bytes:
    """A one-pixel PNG that is different for every slot (python-docx stores identical
    pictures once), to be replaced by the chart when it is drawn."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00qa_xl chart %d" % index)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def _picture_class() -> Any:
    """An InlineImage that writes its alt text (docxtpl 0.20.2 has no parameter for it) and
    can stand in for a chart still being drawn: the picture's part is recorded, and its
    bytes are swapped for the chart's before saving (:func:`_swap_pictures`)."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    class Picture(InlineImage):
        def __init__(self, tpl: Any, chart: Chart | ChartSlot) -> None:
            super().__init__(tpl, None, width=Mm(chart.width_mm), height=Mm(chart.height_mm))
            self.chart = chart

        def _insert_image(self) -> str:
            """The picture's drawing XML. A slot shown several times (an SPC table's
            icons) is one image part related once; each drawing gets its own shape id
            (python-docx would give every picture of a render the same one, as the
            rendered XML is not yet in the part, and would hash every image part again
            for each new picture)."""
            from docx.image.image import Image
            from docx.opc.constants import RELATIONSHIP_TYPE as RT
            from docx.oxml.shape import CT_Inline

            chart, part, tpl = self.chart, self.tpl.current_rendering_part, self.tpl
            key = (id(part), chart.index if isinstance(chart, ChartSlot) else id(chart))
            known = tpl.qa_images.get(key)
            if known is None:
                if isinstance(chart, ChartSlot):
                    image = Image.from_blob(_placeholder_png(chart.index))
                    image_part = part.package.image_parts._add_image_part(image)
                    r_id = part.relate_to(image_part, RT.IMAGE)
                    tpl.qa_slots.append((image_part, chart.index))
                else:
                    r_id, image = part.get_or_add_image(io.BytesIO(chart.png))
                known = tpl.qa_images[key] = (r_id, image)
            r_id, image = known
            if id(part) not in tpl.qa_shape_ids:
                tpl.qa_shape_ids[id(part)] = part.next_id
            shape_id = tpl.qa_shape_ids[id(part)]
            tpl.qa_shape_ids[id(part)] += 1
            cx, cy = image.scaled_dimensions(self.width, self.height)
            inline = CT_Inline.new_pic_inline(shape_id, r_id, image.filename, cx, cy)
            alt, title = _clean(chart.alt), _clean(chart.title)
            for element in (inline.docPr, *inline.xpath(".//pic:cNvPr")):
                element.set("descr", alt)
                element.set("title", title)
            return (f"</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r>"
                    '<w:t xml:space="preserve">')

    return Picture


def _swap_pictures(tpl: Any, pictures: Callable[[], list[Chart]] | None) -> None:
    """Put each drawn chart where its placeholder went."""
    if not tpl.qa_slots:
        return
    if pictures is None:
        raise ValueError("the context holds chart slots but no charts were given")
    drawn = pictures()
    for image_part, index in tpl.qa_slots:
        image_part._blob = drawn[index].png


def _template_path(template: Path | str | None, default: str, *,
                   checking: bool = False) -> Path:
    path = Path(template) if template else TEMPLATE_DIR / default
    if not path.is_file():
        raise UnusableInput("the template does not exist", file=path,
                            action="give the path of the .docx template to check" if checking
                            else "give the path of a .docx template, or omit --template to "
                            "use the standard one")
    if path.suffix.lower() != ".docx":
        raise UnusableInput(f"a {path.suffix or 'file without extension'} is not a Word "
                            "template", file=path, action="save the template as a .docx file")
    return path


# docxtpl turns a tab, \a, newline or form feed in a text into Word's own tab, paragraph, line
# or page break, running three nested regular expressions over every paragraph of the
# rendered part (a tenth of a second for the pack's ten thousand paragraphs); only a paragraph
# that holds one of them can change.
_LISTING_CHARS = re.compile("[\t\a\n\f]")
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's own pattern


def _template_class() -> Any:
    """DocxTemplate whose resolve_listing gives the same XML, paragraph by paragraph, only
    where a paragraph holds a character it resolves."""
    from docxtpl import DocxTemplate

    class Template(DocxTemplate):
        def patch_xml(self, src_xml: str) -> str:
            return _patched(src_xml, super().patch_xml)

        def resolve_listing(self, xml: str) -> str:
            if not _LISTING_CHARS.search(xml):
                return xml
            resolve = super().resolve_listing
            return _PARAGRAPH.sub(lambda m: resolve(m.group(0)) if _LISTING_CHARS.search(
                m.group(0)) else m.group(0), xml)

    return Template


def _patched(src_xml: str, patch: Callable[[str], str]) -> str:
    """docxtpl's patch_xml of a template part, kept beside Jinja's compiled templates (the
    private folder of ``FileSystemBytecodeCache``, see :func:`_environment`): it is a pure
    function of the template's XML and docxtpl's version (a few dozen regular expressions, a
    few hundredths of a second for the pack's template), so the same template is patched
    once, not at every paper. Written whole and renamed into place, read back as the same
    bytes; without a usable folder the part is simply patched."""
    import hashlib

    import docxtpl
    from jinja2.bccache import FileSystemBytecodeCache

    try:
        folder = Path(FileSystemBytecodeCache().directory)
    except (OSError, RuntimeError):
        return patch(src_xml)
    key = hashlib.sha256(f"{docxtpl.__version__}\0{src_xml}".encode()).hexdigest()
    path = folder / f"qa_xl-patched-{key}.xml"
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    patched = patch(src_xml)
    scratch = None
    try:
        handle, scratch = tempfile.mkstemp(prefix=".qa_xl-patched-", dir=folder)
        with os.fdopen(handle, "wb") as file:
            file.write(patched.encode("utf-8"))
        os.replace(scratch, path)
    except OSError:  # a full or read-only disk: the next paper patches it again
        if scratch is not None and os.path.exists(scratch):
            os.remove(scratch)
    return patched


def _open_template(path: Path) -> Any:
    tpl = _template_class()(path)
    try:
        tpl.init_docx()
    except Exception as exc:  # python-docx raises several types for a damaged package
        raise UnusableInput(f"the template cannot be read as a Word document ({exc})",
                            file=path, action="open it in Word and save it as .docx again"
                            ) from exc
    return tpl


def _environment() -> Any:
    """A Jinja2 environment that keeps the compiled template in Jinja's own bytecode cache
    (``FileSystemBytecodeCache``, a private folder in the temporary directory): compiling the
    pack's template costs a tenth of a second each run, loading it a few milliseconds.
    docxtpl compiles each part with ``from_string``, which Jinja never caches by itself."""
    import hashlib

    import jinja2
    from jinja2.bccache import FileSystemBytecodeCache

    class Cached(jinja2.Environment):
        def from_string(self, source: Any, globals: Any = None,
                        template_class: Any = None) -> Any:
            cache = self.bytecode_cache
            if cache is None or not isinstance(source, str):
                return super().from_string(source, globals, template_class)
            name = f"qa_xl-{self.autoescape}-{hashlib.sha256(source.encode()).hexdigest()}"
            bucket = cache.get_bucket(self, name, None, source)
            if bucket.code is None:
                bucket.code = self.compile(source)
                cache.set_bucket(bucket)
            cls = template_class or self.template_class
            return cls.from_code(self, bucket.code, self.make_globals(globals), None)

    def make(**options: Any) -> Any:
        try:
            cache = FileSystemBytecodeCache()
        except (OSError, RuntimeError):  # no usable temporary folder: just compile
            cache = None
        return Cached(bytecode_cache=cache, **options)

    return make


def _undefined_message(exc: Exception) -> str:
    text = str(exc)
    if text.startswith("undefined:"):
        return text.removeprefix("undefined:")
    match = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", text)
    return next((g for g in match.groups() if g), text) if match else text


def _fit_looped_columns(document: Any) -> None:
    """Tables whose columns repeat ({%tc for %}: one per standard of a self-assessment) come
    out of docxtpl with every repeated cell as wide as the template's one, wider together
    than the page. Such a table keeps its first column (and its last, when that one is not
    repeated) and shares the rest of its width evenly, however many standards there are."""
    from docx.oxml.ns import qn

    for table in document.tables:
        tbl = table._tbl
        tbl_w = tbl.tblPr.find(qn("w:tblW"))
        width = tbl_w.get(qn("w:w")) if tbl_w is not None else None
        if not width or not width.isdigit() or not len(tbl.tr_lst):
            continue
        head = [_tc_width(tc) or 0 for tc in tbl.tr_lst[0].tc_lst]
        total = int(width)
        if len(head) < 3 or sum(head) <= total * 1.05:
            continue
        last = head[-1] if head[-1] != head[-2] else 0
        middle = len(head) - 1 - (1 if last else 0)
        share = (total - head[0] - last) // middle
        new = [head[0], *[share] * middle, *([last] if last else [])]
        for col in list(tbl.tblGrid.gridCol_lst):
            tbl.tblGrid.remove(col)
        for w in new:
            tbl.tblGrid.add_gridCol().w = w * 635  # twips to EMU
        for tr in tbl.tr_lst:
            if len(tr.tc_lst) == len(new):
                for tc, w in zip(tr.tc_lst, new):
                    tc.width = w * 635


def _tc_width(tc: Any) -> int | None:
    """A cell's width in twips, as the template gave it."""
    from docx.oxml.ns import qn

    tc_pr = tc.tcPr
    tc_w = None if tc_pr is None else tc_pr.find(qn("w:tcW"))
    value = None if tc_w is None else tc_w.get(qn("w:w"))
    return int(value) if value and value.isdigit() else None


def render(template: Path, context: dict[str, Any], out: Path, *, title: str,
           language: str = "en-GB", subject: str = "", author: str = "",
           pictures: Callable[[], list[Chart]] | None = None) -> Path:
    """Render a docxtpl template with the context and save it (atomically) as ``out``.

    Fails loudly: a name the context lacks, or a broken tag, is an :class:`UnusableInput`
    naming it and the template. Data is a value, never template text. Charts may still be
    slots while the template renders; ``pictures`` waits for them before saving.
    """
    import jinja2

    strict, _ = _undefined_classes()
    tpl = _open_template(template)
    tpl.qa_slots, tpl.qa_images, tpl.qa_shape_ids = [], {}, {}
    picture = _picture_class()
    prepared = _prepare(context, "", lambda chart: picture(tpl, chart))
    env = _environment()(autoescape=True, undefined=strict)
    try:
        tpl.render(prepared, env)
    except jinja2.UndefinedError as exc:
        raise UnusableInput(
            f"the template uses '{_undefined_message(exc)}', which the paper's context does "
            "not provide", file=template, action="correct the name in the template "
            "(report_templates/README.md lists every name), or list every unknown name with "
            "qa-xl pack --check-template") from exc
    except jinja2.TemplateSyntaxError as exc:
        near = " ".join(getattr(exc, "docx_context", []) or [])[:120]
        raise UnusableInput(
            f"the template has a broken tag ({exc.message})" + (f" near '{near}'" if near
                                                                 else ""),
            file=template, action="correct the {{ }} or {% %} tag in Word") from exc
    _swap_pictures(tpl, pictures)
    _fit_looped_columns(tpl.docx)
    props = tpl.docx.core_properties
    props.title, props.subject, props.language = title, subject, language
    props.author = author or props.author
    props.keywords = subject
    props.created = props.modified = dt.datetime.now().replace(microsecond=0)
    return _save(tpl, out)


def _save(tpl: Any, out: Path) -> Path:
    """Write beside the target and rename over it, so that a half-written paper is never
    left behind; a target open in Word is a clear message."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=".~qa_xl_", suffix=".docx", dir=out.parent)
    os.close(handle)
    try:
        tpl.save(scratch)
        make_shareable(scratch)  # mkstemp makes it private; a paper is not
        os.replace(scratch, out)
    except PermissionError as exc:
        raise UnusableInput("the paper cannot be written; is it open in Word?", file=out,
                            action="close it in Word and run again") from exc
    finally:
        if os.path.exists(scratch):
            os.remove(scratch)
    return out


def _out_path(out: Path | str | None, data_folder: Path | None, name: str) -> Path:
    if out:
        return Path(out)
    return (data_folder or Path.cwd()) / name


def _check_out(out: Path | str | None) -> None:
    """A paper is a Word document: a .pdf (or any other) name would give a file that does not
    open as what its name says."""
    if out and Path(out).suffix.lower() != ".docx":
        suffix = Path(out).suffix or "a file without extension"
        raise UnusableInput(f"a paper is a Word document, not {suffix}", file=out,
                            action="give --out a name ending .docx (Word saves it as PDF "
                            "when a PDF is needed)")


def _build(workbook: str | Path | Store, kind: str, period: str | None, out: Path | None,
           template: Path | None, today: dt.date | None, pdf: bool = False,
           folder: Path | None = None) -> Path:
    """Read, build the context, render while the charts are drawn, put the charts in, save;
    with ``pdf``, also the tagged PDF beside it (:func:`qa_xl.papers.pdf.write_pdf`)."""
    _check_out(out)
    template_path = _template_path(template, TEMPLATES[kind])
    drawing.warm_up()  # the workers import matplotlib while the workbook is read
    try:
        data, context, covered, pending = paper(workbook, kind, period, today, drawing.start)
        part = getattr(covered, "file_part", None) or covered.file_label  # a Cycle
        name = FILE_NAMES[kind].format(part)
        path = render(template_path, context, _out_path(out, folder or data.folder, name),
                      title=context["title"], language=context["language"],
                      subject=context.get("subject", context["title"]),
                      author=context["partnership"], pictures=pending)
    finally:
        drawing.shut_down()
    if pdf:
        from qa_xl.papers.pdf import write_pdf

        write_pdf(path)
    return path


FILE_NAMES = {"pack": "QPC_pack_{}.docx", "board": "Board_report_{}.docx",
              "yearly": "Yearly_report_{}.docx", "programme_review":
              "QA_programme_review_{}.docx", "s11": "Section_11_report_{}.docx",
              "s175": "Section_175_report_{}.docx"}
TEMPLATES = {"pack": PACK_TEMPLATE, "board": BOARD_TEMPLATE, "yearly": YEARLY_TEMPLATE,
             "programme_review": REVIEW_TEMPLATE, "s11": SELF_ASSESSMENT_TEMPLATE,
             "s175": SELF_ASSESSMENT_TEMPLATE}


def build_pack(workbook: str | Path | Store, *, period: str | None = None,
               out: Path | None = None, template: Path | None = None,
               today: dt.date | None = None, pdf: bool = False,
               folder: Path | None = None) -> Path:
    """Write the quarterly Q&PC pack and return its path (default
    ``<workbook folder>/QPC_pack_<period>.docx``). ``today`` is the date at which overdue
    activities, risks and actions are judged; ``pdf`` also writes the tagged PDF beside it
    (same name, ``.pdf``) through LibreOffice. ``folder`` puts the default name in another
    folder (the buttons' files folder: a workbook in xlwings Lite has no folder of its own)."""
    return _build(workbook, "pack", period, out, template, today, pdf, folder)


def build_yearly_report(workbook: str | Path | Store, *, year: str | None = None,
                        out: Path | None = None, template: Path | None = None,
                        today: dt.date | None = None, pdf: bool = False) -> Path:
    """Write the yearly report for families and professionals and return its path (default
    ``<workbook folder>/Yearly_report_<year>.docx``); ``year`` such as 2025-26 (default the
    latest financial year complete by current_period; a year not over is reported "so far");
    ``pdf`` as for :func:`build_pack`."""
    return _build(workbook, "yearly", year, out, template, today, pdf)


def build_programme_review(workbook: str | Path | Store, *, year: str | None = None,
                           out: Path | None = None, template: Path | None = None,
                           today: dt.date | None = None, pdf: bool = False) -> Path:
    """Write the committee's annual review of the QA programme and return its path (default
    ``<workbook folder>/QA_programme_review_<year>.docx``); ``year`` the financial year
    reviewed (default the one current_period is in), the next year's programme proposed;
    ``pdf`` as for :func:`build_pack`."""
    return _build(workbook, "programme_review", year, out, template, today, pdf)


def build_self_assessment_report(workbook: str | Path | Store, form: str, *,
                                 cycle: str | None = None, out: Path | None = None,
                                 template: Path | None = None, today: dt.date | None = None,
                                 pdf: bool = False) -> Path:
    """Write a self-assessment cycle's report to the Board (``form`` "s11" or "s175";
    ``cycle`` such as 2026-28, default the latest with answers) and return its path (default
    ``<workbook folder>/Section_11_report_<cycle>.docx`` or ``Section_175_report_…``)."""
    if form not in ("s11", "s175"):
        raise ValueError(f"form must be s11 or s175, not {form!r}")
    return _build(workbook, form, cycle, out, template, today, pdf)


def build_board_report(workbook: str | Path | Store, *, period: str | None = None,
                       out: Path | None = None, template: Path | None = None,
                       today: dt.date | None = None, pdf: bool = False,
                       folder: Path | None = None) -> Path:
    """Write the half-yearly Board performance report and return its path (default
    ``<workbook folder>/Board_report_<half-year>.docx``); ``period`` is a half-year such as
    2026-27 H1 (a quarter means its half-year); ``pdf`` and ``folder`` as for
    :func:`build_pack`."""
    return _build(workbook, "board", period, out, template, today, pdf, folder)


# --------------------------------------------------------------------------- template check

def template_names(template: Path | str) -> set[str]:
    """The top-level names a template uses (body, headers and footers)."""
    import jinja2

    path = _template_path(template, PACK_TEMPLATE, checking=True)
    try:
        return set(_open_template(path).get_undeclared_template_variables(jinja2.Environment()))
    except jinja2.TemplateSyntaxError as exc:
        raise UnusableInput(f"the template has a broken tag ({exc.message})", file=path,
                            action="correct the {{ }} or {% %} tag in Word") from exc


def check_template(template: Path | str, context: dict[str, Any] | None = None, *,
                   kind: str = "pack") -> list[str]:
    """What a (restyled) template uses that the context lacks, as dotted paths
    ('scorecard[].rows[].nmae'); empty when the template is fine.

    Without ``context`` only top-level names are checked, against the names a pack (or a
    Board report, ``kind="board"``) provides. With a real context (``pack_context``) the
    template is also rendered in a lenient mode that records every missing name inside
    loops; a loop over an empty list cannot be checked that way.
    """
    import jinja2

    path = _template_path(template, TEMPLATES[kind], checking=True)
    names = template_names(path)
    known = set(context) if context is not None else set(NAMES[kind])
    missing = set(names - known)
    if context is not None:
        _, recording = _undefined_classes()
        recording.seen = set()
        tpl = _open_template(path)
        prepared = _prepare(context, "", lambda chart: "[picture]")
        env = jinja2.Environment(autoescape=True, undefined=recording)
        xml = tpl.patch_xml(tpl.get_xml())
        for _rel, part in tpl.get_headers_footers(tpl.HEADER_URI):
            xml += tpl.patch_xml(tpl.get_part_xml(part))
        for _rel, part in tpl.get_headers_footers(tpl.FOOTER_URI):
            xml += tpl.patch_xml(tpl.get_part_xml(part))
        env.from_string(xml).render(prepared)
        missing |= recording.seen
    return sorted(missing)


_COVER_NAMES = (
    "title", "partnership", "partnership_short", "committee", "committee_short", "board",
    "period", "period_dates", "meeting_date", "version", "protective_marking", "language",
    "generated_on", "as_at", "workbook", "subject", "provenance_scope",
)
_COMMON_NAMES = (*_COVER_NAMES, "summary", "scorecard", "risks", "programme", "actions",
                 "provenance")
PACK_NAMES = frozenset((*_COMMON_NAMES, "spc", "spc_short", "spc_min_points", "audits",
                        "definitions", "voice", "compliance", "since_closed",
                        "self_assessment"))
BOARD_NAMES = frozenset((*_COMMON_NAMES, "quarter", "figures_note", "other_indicators",
                         "self_assessment"))
CYCLE_NAMES = frozenset((*_COVER_NAMES, "cycle", "form", "self_assessment"))
YEARLY_NAMES = frozenset((*_COVER_NAMES, "year", "previous_year", "next_year", "coverage",
                          "complete", "glance", "priorities", "impact", "impact_summary",
                          "learning", "voice", "little_progress", "programme",
                          "self_assessment", "next_priorities", "glossary"))
REVIEW_NAMES = frozenset((*_COVER_NAMES, "year", "next_year", "summary", "by_type",
                          "activities", "no_indicator", "no_activity", "proposed",
                          "additions", "decision"))
NAMES = {"pack": PACK_NAMES, "board": BOARD_NAMES, "yearly": YEARLY_NAMES,
         "programme_review": REVIEW_NAMES, "s11": CYCLE_NAMES, "s175": CYCLE_NAMES}


def context_paths(context: Any, path: str = "") -> set[str]:
    """Every key path of a context ('scorecard[].rows[].value'), for documentation checks."""
    found: set[str] = set()
    if isinstance(context, dict):
        for key, value in context.items():
            here = f"{path}.{key}" if path else key
            found.add(here)
            found |= context_paths(value, here)
    elif isinstance(context, list):
        for item in context:
            found |= context_paths(item, f"{path}[]")
    return found


def iter_pictures(document: Any) -> Iterable[Any]:
    """Every drawing's ``wp:docPr`` in a python-docx document (body, headers, footers)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    yield from document.element.xpath(".//wp:docPr")
    for rel in document.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER):
            yield from rel.target_part.element.xpath(".//wp:docPr")



