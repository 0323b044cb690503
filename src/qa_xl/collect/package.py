"""Checking a return's package before any spreadsheet reader sees it.

Type, size, zip bomb, duplicate entries, XML document types (via defusedxml), and what the
package itself declares — every part by its content type in ``[Content_Types].xml``, every
relationship by its type — so a macro project, a binary object or an external link is found
whatever its part is called, and formulas are found in every part that holds cells, wherever it
lives. A file that fails here is refused by name and never parsed by python-calamine.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from qa_xl.collect.master import ABOUT_SHEET, META_KEYS, SIGNED

MAX_FILE_BYTES = 5 * 1024 * 1024  # a return is tens of kilobytes
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 300
MAX_RATIO = 200  # compressed XML rarely beats 20:1; a zip bomb is thousands to one


class Refused(Exception):
    """A return that cannot be imported; ``data`` when it is its values that are wrong."""

    def __init__(self, *problems: str, data: bool = False) -> None:
        super().__init__(problems[0])
        self.problems = list(problems)
        self.data = data


def read_bytes(path: Path, noun: str = "return") -> bytes:
    name = path.name
    if not path.is_file():
        raise Refused(f"{name}: the file does not exist")
    suffix = path.suffix.lower()
    if suffix == ".xlsm":
        raise Refused(f"{name}: a macro-enabled workbook (.xlsm) is not accepted as a {noun}; "
                      "send the .xlsx that was issued")
    if suffix != ".xlsx":
        raise Refused(f"{name}: a {noun} must be the issued .xlsx file, not {suffix or 'this'}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Refused(f"{name}: {size / 1e6:.1f} MB is far larger than a {noun} can be "
                      f"(limit {MAX_FILE_BYTES // 1_000_000} MB); send the issued file")
    return path.read_bytes()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # how a binary (OLE compound) file starts
# What a return never holds, by the content type its package declares for a part (so a
# macro project is found whatever it is called) ...
_FORBIDDEN_TYPES = {
    "application/vnd.ms-office.vbaproject": "macros (a VBA project)",
    "application/vnd.ms-office.vbaprojectsignature": "a signed macro project",
    "application/vnd.ms-office.vbaprojectsignatureagile": "a signed macro project",
    "application/vnd.ms-office.vbaprojectsignaturev3": "a signed macro project",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": "macros (a macro-enabled workbook)",
    "application/vnd.ms-excel.template.macroenabled.main+xml": "macros (a macro template)",
    "application/vnd.ms-excel.addin.macroenabled.main+xml": "macros (an add-in)",
    "application/vnd.ms-excel.macrosheet+xml": "an Excel 4 macro sheet",
    "application/vnd.ms-excel.intlmacrosheet+xml": "an Excel 4 macro sheet",
    "application/vnd.openxmlformats-officedocument.oleobject": "an embedded object",
    "application/vnd.ms-office.activex+xml": "an ActiveX control",
    "application/vnd.ms-office.activex": "an ActiveX control",
    "application/vnd.ms-excel.controlproperties+xml": "a form control",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.externallink+xml":
        "a link to another workbook",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml":
        "an external data connection",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.querytable+xml":
        "a web or database query",
}
# ... and by the relationships that would load one, or reach outside the file.
_FORBIDDEN_RELS = {
    "vbaProject": "macros (a VBA project)", "oleObject": "an embedded object",
    "activeXControl": "an ActiveX control", "activeXControlBinary": "an ActiveX control",
    "externalLink": "a link to another workbook", "externalLinkPath": "a link to another file",
    "connections": "an external data connection", "queryTable": "a web or database query",
    "attachedToolbars": "macro toolbars", "package": "an embedded document",
    "xlMacrosheet": "an Excel 4 macro sheet", "xlIntlMacrosheet": "an Excel 4 macro sheet",
    "control": "a form control", "oleObjectBinary": "an embedded object",
}
_EXTERNAL_OK = ("/hyperlink",)  # a web address typed into a commentary


def check_package(path: Path, data: bytes, noun: str = "return") -> list[tuple[str, str]]:
    """Size, zip bomb, duplicate entries, what the package declares (macros, binary objects,
    external links, whatever they are called) and XML document types, before any reader runs.
    Returns the cells that hold formulas, in every part that holds cells, as (sheet or part,
    cell) — refused once the file is known to be a return."""
    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    name = path.name
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused(f"{name}: the file is damaged or not an Excel workbook ({exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise Refused(f"{name}: the workbook has {len(members)} parts; a {noun} has a few dozen")
    names = [m.filename for m in members]
    folded = [n.lower() for n in names]
    if len(set(folded)) != len(folded):
        twice = next(n for n in names if folded.count(n.lower()) > 1)
        raise Refused(f"{name}: the package holds the part {twice} more than once, which Excel "
                      "never writes (a doctored file?); send the issued file")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNZIPPED_BYTES or any(
            m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
            for m in members):
        raise Refused(f"{name}: the file expands to far more than it holds (a zip bomb?)")
    bodies: dict[str, bytes] = {}
    total = 0
    for m in members:
        if m.is_dir():
            continue
        try:
            with zf.open(m) as part:
                body = part.read(MAX_UNZIPPED_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
            raise Refused(f"{name}: part {m.filename} is damaged ({exc})") from exc
        total += len(body)
        if total > MAX_UNZIPPED_BYTES:
            raise Refused(f"{name}: the file expands to far more than it holds (a zip bomb?)")
        if body.startswith(_OLE_MAGIC):
            raise Refused(f"{name}: the workbook carries macros or another binary (OLE) "
                          f"object (part {m.filename}), which a {noun} never holds; send the "
                          "issued .xlsx")
        bodies[m.filename] = body
    trees: dict[str, Any] = {}
    for part, body in bodies.items():
        if part.lower().endswith((".xml", ".rels", ".vml")) or body.lstrip()[:5] == b"<?xml":
            trees[part] = _parse(name, part, body, safe_xml, DefusedXmlException, noun)
    _check_declared(name, bodies, trees)
    _check_table_sizes(name, trees)
    sheets = _sheet_names(trees)
    formulas: list[tuple[str, str]] = []
    for part, root in trees.items():
        where = f"sheet {sheets[part]}" if part in sheets else f"part {part}"
        formulas += [(where, cell) for cell in _formula_cells(root)]
    return formulas


_FAST = None
MAX_TABLE_CELLS = 200_000  # a form's table has a few thousand cells; a reader fills them all


def _check_table_sizes(name: str, trees: dict[str, Any]) -> None:
    """A table's range stretched far past its rows (no data added: a 12 KB file) would have
    the reader fill every blank cell of it in memory — gigabytes — before any check could
    refuse it."""
    from openpyxl.utils.cell import range_boundaries

    for part, root in trees.items():
        if not part.lower().startswith("xl/tables/"):
            continue
        ref = str(root.get("ref") or "")
        try:
            left, top, right, bottom = range_boundaries(ref)
        except (ValueError, TypeError):
            raise Refused(f"{name}: the table {root.get('name') or part} has no proper range "
                          f"({ref[:40]!r}); fill in the file you were sent") from None
        if (right - left + 1) * (bottom - top + 1) > MAX_TABLE_CELLS:
            raise Refused(f"{name}: the table {root.get('name') or part} has been stretched to "
                          f"{ref} ({bottom - top:,} rows), far more than a form has; fill in "
                          "the file you were sent")


def _parse(name: str, part: str, body: bytes, safe_xml: Any, defused: type,
           noun: str = "return") -> Any:
    """One XML part, refused if it declares a document type or entities.

    A part with ``<!`` anywhere (a DOCTYPE, an ENTITY, a comment) is parsed by defusedxml,
    which refuses any document type; every other part cannot declare one, and is parsed by
    lxml without loading DTDs, resolving entities or using the network — ten times faster —
    whose document-type check is the belt to defusedxml's braces (a UTF-16 part hides ``<!``
    from the byte scan)."""
    global _FAST
    from lxml import etree

    if b"<!" in body:
        try:
            return safe_xml.fromstring(body, forbid_dtd=True)
        except defused as exc:
            raise Refused(f"{name}: part {part} declares XML entities or a document type, "
                          f"which a {noun} never has; send the issued file") from exc
        except safe_xml.ParseError as exc:
            raise Refused(f"{name}: part {part} is damaged ({exc})") from exc
    if _FAST is None:
        _FAST = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                                huge_tree=False, dtd_validation=False)
    try:
        root = etree.fromstring(body, _FAST)
    except etree.XMLSyntaxError as exc:
        raise Refused(f"{name}: part {part} is damaged ({exc})") from exc
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise Refused(f"{name}: part {part} declares XML entities or a document type, which "
                      f"a {noun} never has; send the issued file")
    return root


def _check_declared(name: str, bodies: dict[str, bytes], trees: dict[str, Any]) -> None:
    """Every part by the content type the package gives it, every relationship by its type."""
    types = trees.get(next((p for p in trees if p.lower() == "[content_types].xml"), ""))
    if types is None:
        raise Refused(f"{name}: the package has no list of its parts ([Content_Types].xml), so "
                      "it is not an Excel workbook; send the issued .xlsx")
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "").lower()
                for d in types.iter(f"{{{_CT}}}Default")}
    overrides = {o.get("PartName", "").lower().lstrip("/"): o.get("ContentType", "").lower()
                 for o in types.iter(f"{{{_CT}}}Override")}
    for part in bodies:
        kind = overrides.get(part.lower()) or defaults.get(part.rsplit(".", 1)[-1].lower(), "")
        if not kind and part.lower() != "[content_types].xml":
            raise Refused(f"{name}: the part {part} is not in the package's list of its parts "
                          "([Content_Types].xml), which Excel never writes (an added or "
                          "doctored part?); send the issued .xlsx")
        what = _FORBIDDEN_TYPES.get(kind)
        if what:
            raise Refused(f"{name}: the workbook carries {what} (part {part}); send the issued "
                          ".xlsx without it")
    for kind in overrides.values():  # declared, even if the part itself was left out
        if kind in _FORBIDDEN_TYPES:
            raise Refused(f"{name}: the workbook declares {_FORBIDDEN_TYPES[kind]}; send the "
                          "issued .xlsx without it")
    for part, root in trees.items():
        if not part.lower().endswith(".rels"):
            continue
        for rel in root.iter(f"{{{_REL}}}Relationship"):
            kind = rel.get("Type", "")
            short = kind.rsplit("/", 1)[-1]
            if short in _FORBIDDEN_RELS:
                raise Refused(f"{name}: the workbook carries {_FORBIDDEN_RELS[short]} (a "
                              f"relationship in {part}); send the issued .xlsx without it")
            if rel.get("TargetMode", "").lower() == "external" and not kind.endswith(
                    _EXTERNAL_OK):
                raise Refused(f"{name}: the workbook links to something outside it "
                              f"({rel.get('Target', '')[:80]!r}, in {part}); send the issued "
                              ".xlsx without external links")


def _sheet_names(trees: dict[str, Any]) -> dict[str, str]:
    """Worksheet part -> sheet name, through the workbook and its relationships."""
    import posixpath

    book = next((p for p, r in trees.items() if r.tag == f"{{{_MAIN}}}workbook"), None)
    if book is None:
        return {}
    folder, base = posixpath.split(book)
    rels = trees.get(posixpath.join(folder, "_rels", f"{base}.rels"))
    if rels is None:
        return {}
    targets = {}
    for rel in rels.iter(f"{{{_REL}}}Relationship"):
        target = rel.get("Target", "")
        targets[rel.get("Id")] = (target.lstrip("/") if target.startswith("/") else
                                  posixpath.normpath(posixpath.join(folder, target)))
    return {targets[s.get(_R_ID)]: s.get("name", "?")
            for s in trees[book].iter(f"{{{_MAIN}}}sheet") if s.get(_R_ID) in targets}


def _formula_cells(root: Any) -> list[str]:
    return [c.get("r", "?") for c in root.iter(f"{{{_MAIN}}}c")
            if c.find(f"{{{_MAIN}}}f") is not None]


def read_book(path: Path, data: bytes) -> Any:
    from qa_xl.workbook.xlsxread import open_book

    try:
        return open_book(data)  # python-calamine, or openpyxl where it is missing (Pyodide)
    except Exception as exc:  # the readers raise several types for damaged packages
        raise Refused(f"{path.name}: the workbook cannot be read ({exc})") from exc


def metadata(path: Path, book: Any, keys: tuple[str, ...] = META_KEYS, *,
             noun: str = "return", command: str = "returns", title: str = "") -> dict[str, str]:
    """The form's signed details (its About sheet); ``noun``, ``command`` and ``title`` name
    the kind of form the messages speak of ("form", "s11", "Section 11 self-assessment")."""
    if ABOUT_SHEET not in book.sheet_names and "tblConfig" in book.table_names:
        raise Refused(f"{path.name}: this is a master workbook, not a partner's {noun}; give "
                      f"the {noun}s sent back")
    if ABOUT_SHEET not in book.sheet_names:
        raise Refused(f"{path.name}: the {noun}'s hidden details are missing, so it was not "
                      f"issued by qa-xl {command} issue (or was copied into a new workbook); "
                      "fill in the file you were sent")
    values = book.get_sheet_by_name(ABOUT_SHEET).to_python()
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in values if len(r) >= 2 and r[0]}
    version = meta.get("template_version", "")
    if version.startswith("sa") and "organisation" not in keys:
        raise Refused(f"{path.name}: this is a self-assessment form, not a partner's return; "
                      "import it with qa-xl s11 import or qa-xl s175 import")
    if "organisation" in keys and not version.startswith("sa") and meta.get("partner_id"):
        raise Refused(f"{path.name}: this is a partner's quarterly return, not a "
                      f"{title or 'self-assessment'} form: import it with qa-xl returns "
                      "import")
    if version in SIGNED and set(keys) <= {*SIGNED[version], "token"}:  # a newer version
        # of the same form (a return with a voice table) carries its own details too
        keys = tuple(dict.fromkeys((*keys, *SIGNED[version])))
    missing = [k for k in keys if not meta.get(k)]
    if missing:
        raise Refused(f"{path.name}: the {noun}'s hidden details lack {', '.join(missing)} (no "
                      "signature), so it cannot be trusted; fill in the file you were sent")
    return meta


