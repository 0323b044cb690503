"""Save the master workbook by replacing only the package parts that change.

Officers edit the master in Excel (charts, pictures, pivot tables, comments, VBA buttons).
openpyxl load + save drops the charts and pictures it did not create and the cached results of
formulas, so it must never rewrite the master. Here the worksheet and table XML that change are
edited with lxml, every other zip member is copied with the same decompressed bytes, and the new
file replaces the old one atomically once a backup has been kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import glob
import hashlib
import io
import math
import numbers
import os
import posixpath
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from lxml import etree

from qa_xl.core import faults
from qa_xl.core.errors import (
    DataError,
    UnusableInput,
    WorkbookChanged,
    WorkbookLocked,
    os_problem,
)

__all__ = ["CellValue", "Fingerprint", "Keep", "NewSheet", "TableWrite", "check_not_locked",
           "write_workbook"]

CellValue = str | int | float | bool | dt.date | dt.datetime | None
Rect = tuple[int, int, int, int]  # first column, first row, last column, last row (1-based)

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_DY = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac}dyDescent"
_C, _F = f"{{{NS}}}c", f"{{{NS}}}f"
_BOOKKEEPING = {"r", "spans", _DY}  # a row with only these attributes and no cells can go
_COMPRESSLEVEL = 1  # 200 sheets: level 6 takes 0.50 s instead of 0.34 s for a 17% smaller file
_MAX_TEXT = 32767  # Excel's limit for the text of one cell
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_X_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")  # Excel reads "_x0041_" in text as "A"
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]*)")
_FIX_IN_EXCEL = "open it in Excel, save it again and try again"


@dataclass(frozen=True)
class Keep:
    """In :attr:`TableWrite.rows`: the table's row that is now on sheet row ``row``, exactly
    as it is — every cell's value, type, style and number format, text in a number column, a
    date typed as text. Written where it already is, it is not touched at all; moved to
    another row, its cells are copied there (a formula, whose references would no longer
    point where the officer meant, is refused rather than moved)."""

    row: int


@dataclass(frozen=True)
class NewSheet:
    """A sheet holding one new table, for a workbook made before qa_xl had that table: laid
    out as qa_xl lays out every table sheet (title, a line saying what it is, the header on
    row 3, frozen), styled like the workbook's own import log."""

    sheet: str
    table: str
    header: list[str]
    title: str
    intro: str
    widths: list[float]
    num_formats: list[str | None]


@dataclass
class TableWrite:
    """New contents of one Excel table: its column names (as a check) and all its data rows.

    With ``columns``, only those columns are written — one value per named column for every
    current data row of the table, row for row — and every other cell is left as it was: how
    the figures qa_xl derives (a risk's score, an activity's next due date) go back into a
    table that officers type in, without touching what they typed.
    """

    header: list[str]
    rows: list[list[CellValue] | Keep]
    columns: list[str] | None = None
    add_missing: bool = False  # a named column the table lacks is added at its right edge
    formats: dict[str, str] | None = None  # number format of a column added (a date's)


def check_not_locked(path: Path) -> None:
    """Refuse to touch a workbook someone has open: their next save would undo our write."""
    path = Path(path)
    for program, owner in (("Excel", path.with_name(f"~${path.name}")),
                           ("LibreOffice", path.with_name(f".~lock.{path.name}#"))):
        if owner.exists():
            who = _owner_name(program, owner)
            by = f" by {who}" if who else ""
            raise WorkbookLocked(
                f"the workbook is open in {program}{by} (lock file {owner.name})", file=path,
                action=f"close the workbook in {program} (or delete the lock file if nobody "
                "has it open) and try again")


def _owner_name(program: str, owner: Path) -> str:
    """Who the owner file says has the workbook open: Excel writes the user's name after a
    length byte; LibreOffice writes ",name,host,when,…"."""
    try:
        data = owner.read_bytes()[:512]
    except OSError:
        return ""
    if program == "Excel":
        if not data or not 0 < data[0] < len(data):
            return ""
        name = data[1:1 + data[0]].decode("cp1252", "replace").strip("\x00 ")
    else:
        fields = data.decode("utf-8", "replace").split(",")
        name = fields[1].strip() if len(fields) > 2 else ""
    return name if name.isprintable() else ""


def write_workbook(
    path: Path,
    tables: dict[str, TableWrite] | None = None,
    cells: dict[str, dict[str, CellValue]] | None = None,
    *,
    backup: bool = True,
    keep_backups: int = 10,
    source: bytes | None = None,
    expect: Fingerprint | None = None,
    new_sheets: list[NewSheet] | None = None,
) -> Path | None:
    """Replace the data rows of the named tables and set single cells, keeping all else.

    `tables` maps a table (ListObject) name to its new rows; `cells` maps a sheet name to
    {"B5": value}. The new package is built from ``source`` (the bytes the caller read; the
    file as it is now when not given) and replaces the file only if the file on disk is still
    the one that was read (``expect``; else :class:`WorkbookChanged`), nobody has it open in
    Excel or LibreOffice, and it is not read-only. The previous version is kept as
    ``backups/<stem>.backup-YYYYmmdd-HHMMSS<suffix>`` (the ``keep_backups`` newest good ones),
    written under a temporary name and checked before it is renamed into place. A symbolic
    link is written through: the file behind it is replaced, with its permissions and, where
    the process may, its owner. On any error the workbook is left byte-identical and nothing
    is pruned; a full disk or a permission problem is a plain :class:`UnusableInput`. Returns
    the backup's path, or None when no backup was asked for or there was nothing to write.
    """
    path = Path(path)
    if keep_backups < 1:
        raise ValueError("keep_backups must be at least 1")
    if not tables and not cells and not new_sheets:
        return None
    from qa_xl.workbook.lock import master_lock

    # A caller that did not take the lock (a script, a test) still never saves in the middle
    # of another job's save, nor tidies away that job's temporary files: it waits its turn.
    with master_lock(path, "Save the workbook"):
        return _write_locked(path, tables, cells, backup=backup, keep_backups=keep_backups,
                             source=source, expect=expect, new_sheets=new_sheets)


def _write_locked(path: Path, tables: dict[str, TableWrite] | None,
                  cells: dict[str, dict[str, CellValue]] | None, *, backup: bool,
                  keep_backups: int, source: bytes | None, expect: Fingerprint | None,
                  new_sheets: list[NewSheet] | None) -> Path | None:
    """:func:`write_workbook` once the workbook's lock is held."""
    target = real_file(path)
    check_not_locked(path)
    if target != path:
        check_not_locked(target)
    refuse_read_only(path, target)
    try:
        if source is None:
            source = target.read_bytes()
            expect = expect or Fingerprint.of(target, source)
    except OSError as exc:
        raise os_problem(exc, "read the workbook", path) from exc
    try:
        with _open_zip(path, source) as zin:
            book = _Book(path, zin)
            for sheet in new_sheets or ():
                _add_table_sheet(book, sheet)
            for name, table in (tables or {}).items():
                _write_table(book, name, table)
            for sheet, values in (cells or {}).items():
                for ref, value in values.items():
                    if not (m := _CELL_REF.fullmatch(ref)):
                        raise ValueError(f"not a cell reference: {ref!r}")
                    col, row = _col_number(m[1]), int(m[2])
                    _replace_block(book, sheet, (col, row, col, row), [[value]], row)
            _finish(book)
            tmp = _save_temp(book, zin, target)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise UnusableInput(f"the workbook is damaged and cannot be read ({exc})", file=path,
                            action="restore it from the backups folder") from exc
    saved = None
    try:
        faults.point("temp-written")
        check_not_locked(path)  # someone may have opened it meanwhile
        if target != path:
            check_not_locked(target)
        if expect is not None and not expect.matches(target):
            raise WorkbookChanged("the workbook was saved by someone else while qa_xl was "
                                  "working on it", file=path)
        # beside the real file, as the lock is: two paths to one workbook keep one set
        saved = _backup(target, source) if backup else None
        try:
            os.replace(tmp, target)
        except PermissionError as exc:  # Windows: Excel holds the file open
            raise WorkbookLocked("the workbook could not be replaced: another program has it "
                                 "open, or the folder does not let you replace it",
                                 file=path) from exc
        _sync_folder(target.parent)
        faults.point("replaced")
    except OSError as exc:
        if saved is not None:  # the backup of a version that is still the workbook
            saved.unlink(missing_ok=True)
        raise os_problem(exc, "save the workbook", path) from exc
    except BaseException:
        if saved is not None:
            saved.unlink(missing_ok=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the save is done: tidying up must not undo it
        if saved:
            _prune(target, keep_backups)
        faults.point("pruned")
        _remove_leftovers(path, target)
    return saved


@dataclass(frozen=True)
class Fingerprint:
    """What the workbook file was when it was read: its identity on disk and its bytes'
    SHA-256. Every save of it (Excel's, LibreOffice's, another qa_xl job's) changes one."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path, data: bytes) -> Fingerprint:
        st = os.stat(path)
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
                   hashlib.sha256(data).hexdigest())

    def matches(self, path: Path) -> bool:
        """Is the file still the one that was read? Its identity first (cheap); its bytes
        when that differs (a copy put back, a touch) — same bytes are the same workbook."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return False
        if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (
                self.device, self.inode, self.size, self.mtime_ns):
            return True
        return st.st_size == self.size and hashlib.sha256(
            Path(path).read_bytes()).hexdigest() == self.sha256


def real_file(path: Path) -> Path:
    """The file a (chain of) symbolic link(s) points at; the path itself otherwise."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def refuse_read_only(path: Path, target: Path) -> None:
    """A workbook marked read-only (or that this user may not write) is never overwritten:
    someone made it so on purpose."""
    try:
        st = os.stat(target)
    except OSError as exc:
        raise os_problem(exc, "open the workbook", path) from exc
    if not st.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        raise UnusableInput(
            "the workbook is read-only, so qa_xl will not overwrite it", file=path,
            action="if it should change, clear its read-only setting (File Explorer: "
            "Properties, untick Read-only) or ask for write access; otherwise work on a copy")


# --- the package ---------------------------------------------------------------------------


def _open_zip(path: Path, data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnusableInput(
            f"the file is not an .xlsx/.xlsm workbook ({exc})", file=path,
            action="save it from Excel as 'Excel Workbook' or 'Excel Macro-Enabled Workbook' "
            "without a password") from None


class _Book:
    """The opened package: parsed parts (cached), sheets by name, and what has been changed."""

    def __init__(self, path: Path, zf: zipfile.ZipFile) -> None:
        self.path, self.zf = path, zf
        self.names = {name.lower(): name for name in zf.namelist()}  # part names ignore case
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        self.trees: dict[str, etree._Element] = {}
        self.saved: dict[str, bytes] = {}
        self.changed: set[str] = set()
        self.dropped: set[str] = set()
        self.added: list[str] = []  # new parts, written after the copied ones
        self._table_index: dict[str, tuple[str, str]] | None = None
        self.formula_removed = False
        self.wb_part = next((t for typ, t in self.rels("").values()
                             if typ.endswith("/officeDocument")), "xl/workbook.xml")
        self.wb = self.xml(self.wb_part)
        if self.wb.tag != f"{{{NS}}}workbook":
            self.fail("the workbook is not in the usual (Transitional) Office Open XML format",
                      "save it from Excel as 'Excel Workbook' and try again")
        pr = self.wb.find(f"{{{NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self.wb_rels = self.rels(self.wb_part)
        self.sheets = {s.get("name"): self.wb_rels.get(s.get(_R_ID), ("", ""))[1]
                       for s in self.wb.iter(f"{{{NS}}}sheet")}

    def fail(self, problem: str, action: str = _FIX_IN_EXCEL, sheet: str | None = None,
             cell: str | None = None) -> NoReturn:
        raise UnusableInput(problem, file=self.path, sheet=sheet, cell=cell, action=action)

    def xml(self, part: str) -> etree._Element:
        """Parse a part once (rels targets may differ from zip names in case)."""
        if part in self.added:
            return self.trees[part]
        if (name := self.names.get(part.lower())) is None:
            self.fail(f"the part {part} is missing")
        if name not in self.trees:
            try:
                self.trees[name] = etree.fromstring(self.zf.read(name), self.parser)
            except etree.XMLSyntaxError as exc:
                self.fail(f"the part {name} is damaged ({exc})")
        return self.trees[name]

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, zip name of the target) of a part ('' = the package)."""
        if (rels_part := _rels_name(part)).lower() not in self.names:
            return {}
        found = {}
        for rel in self.xml(rels_part).iter(f"{{{_PKG_REL}}}Relationship"):
            if rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                target = target[1:] if target.startswith("/") else posixpath.normpath(
                    posixpath.join(posixpath.dirname(part), target))
                found[rel.get("Id")] = (rel.get("Type", ""), self.names.get(target.lower(), target))
        return found

    def range(self, ref: str | None, sheet: str) -> Rect:
        ends = [_CELL_REF.fullmatch(end) for end in (ref or "").split(":")]
        if not 1 <= len(ends) <= 2 or not all(ends):
            self.fail(f"the range reference '{ref}' is damaged", sheet=sheet)
        return _col_number(ends[0][1]), int(ends[0][2]), _col_number(ends[-1][1]), int(ends[-1][2])

    def tables_of(self, sheet: str) -> list[str]:
        return [t for typ, t in self.rels(self.sheets[sheet]).values() if typ.endswith("/table")]

    def find_table(self, name: str) -> tuple[str, str]:
        """(sheet, table part) of the table whose name or displayName is `name`, any case."""
        if self._table_index is None:  # every table once: a write of 200 tables looks up 200
            self._table_index = {}
            for sheet in self.sheets:
                for part in self.tables_of(sheet):
                    root = self.xml(part)
                    for key in (root.get("displayName", ""), root.get("name", "")):
                        self._table_index.setdefault(key.lower(), (sheet, part))
        if (found := self._table_index.get(name.lower())) is not None:
            return found
        self.fail(f"there is no table named '{name}'",
                  "check the table name in Excel (Table Design > Table Name) and try again")

    def sheet_data(self, sheet: str) -> etree._Element:
        """The <sheetData> of a worksheet, which is marked as changed."""
        part = next((p for s, p in self.sheets.items() if s.lower() == sheet.lower()), None)
        if part is None:
            self.fail(f"there is no sheet named '{sheet}'", "check the sheet name and try again")
        if (data := self.xml(part).find(f"{{{NS}}}sheetData")) is None:
            self.fail("this is not a worksheet (a chart or dialog sheet?)", sheet=sheet)
        if part not in self.added:
            self.changed.add(self.names[part.lower()])
        return data

    def add_part(self, name: str, root: etree._Element, content_type: str) -> None:
        """A new part of the package, declared in [Content_Types].xml."""
        self.added.append(name)
        self.trees[name] = root
        self.names[name.lower()] = name
        types = self.xml("[Content_Types].xml")
        override = etree.SubElement(types, f"{{{_CT}}}Override")
        override.set("PartName", f"/{name}")
        override.set("ContentType", content_type)
        self.changed.add(self.names["[content_types].xml"])

    def serialise(self, name: str) -> bytes:
        if name in self.added:
            return etree.tostring(self.trees[name], xml_declaration=True, encoding="UTF-8",
                                  standalone=True)
        if name not in self.saved:
            root = self.trees[name]
            self.saved[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                              standalone=root.getroottree().docinfo.standalone)
        return self.saved[name]


def _rels_name(part: str) -> str:
    """'xl/workbook.xml' -> 'xl/_rels/workbook.xml.rels' ('' -> '_rels/.rels')."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{base}.rels")


# --- adding a sheet -------------------------------------------------------------------------

_WS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
_REL_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _add_table_sheet(book: _Book, new: NewSheet) -> None:
    """Append a sheet with an empty table (header and one blank row) at the end of the
    workbook; the table's rows are then written like any other table's. Appended, so no sheet
    moves (print areas and other names refer to sheets by position)."""
    if new.sheet in book.sheets:
        book.fail(f"a sheet named '{new.sheet}' is already there, so qa_xl cannot add its "
                  f"table {new.table} on it", f"rename that sheet, or add the table "
                  f"{new.table} to it by hand, and try again", new.sheet)
    styles = _style_ids(book)
    title, intro, header = styles["title"], styles["intro"], styles["header"]
    n = 1 + max((int(m[1]) for name in book.names.values()
                 if (m := re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name))), default=0)
    m_ = 1 + max((int(m[1]) for name in book.names.values()
                  if (m := re.fullmatch(r"xl/tables/table(\d+)\.xml", name))), default=0)
    table_id = 1 + max((int(book.xml(name).get("id", "0")) for name in list(book.names.values())
                        if re.fullmatch(r"xl/tables/table\d+\.xml", name)), default=0)
    last = column_letter(len(new.header))
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w + 0.71:g}" customWidth="1"'
        f'{s if (s := _xf_attr(styles, fmt)) else ""}/>'
        for i, (w, fmt) in enumerate(zip(new.widths, new.num_formats), start=1))
    head = "".join(f'<c r="{column_letter(i)}3"{header} t="inlineStr"><is><t>'
                   f"{_xml_text(name)}</t></is></c>" for i, name in enumerate(new.header, 1))
    sheet = etree.fromstring(
        f'<worksheet xmlns="{NS}" xmlns:r="{_REL_BASE}"><dimension ref="A1:{last}4"/>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        f'</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        f'<row r="1"><c r="A1"{title} t="inlineStr"><is><t>{_xml_text(new.title)}</t></is></c>'
        f'</row><row r="2"><c r="A2"{intro} t="inlineStr"><is><t>{_xml_text(new.intro)}</t>'
        f'</is></c></row><row r="3" ht="30" customHeight="1">{head}</row></sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/><tableParts count="1"><tablePart r:id="rId1"/></tableParts>'
        '</worksheet>', book.parser)
    columns = "".join(f'<tableColumn id="{i}" name="{_xml_text(name)}"/>'
                      for i, name in enumerate(new.header, 1))
    table = etree.fromstring(
        f'<table xmlns="{NS}" id="{table_id}" name="{new.table}" displayName="{new.table}" '
        f'ref="A3:{last}4" totalsRowShown="0"><autoFilter ref="A3:{last}4"/>'
        f'<tableColumns count="{len(new.header)}">{columns}</tableColumns>'
        '<tableStyleInfo name="TableStyleLight9" showFirstColumn="0" showLastColumn="0" '
        'showRowStripes="1" showColumnStripes="0"/></table>', book.parser)
    sheet_part, table_part = f"xl/worksheets/sheet{n}.xml", f"xl/tables/table{m_}.xml"
    rels = etree.fromstring(
        f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL_BASE}/table" '
        f'Target="../tables/table{m_}.xml"/></Relationships>', book.parser)
    book.add_part(sheet_part, sheet, _WS_TYPE)
    book.add_part(table_part, table, _TABLE_TYPE)
    book.add_part(_rels_name(sheet_part), rels, "application/vnd.openxmlformats-package."
                  "relationships+xml")
    book_rels = book.xml(_rels_name(book.wb_part))
    ids = {r.get("Id") for r in book_rels}
    rid = next(f"rId{k}" for k in range(len(ids) + 1, len(ids) + 1000) if f"rId{k}" not in ids)
    rel = etree.SubElement(book_rels, f"{{{_PKG_REL}}}Relationship")
    rel.set("Id", rid)
    rel.set("Type", f"{_REL_BASE}/worksheet")
    rel.set("Target", posixpath.relpath(sheet_part, posixpath.dirname(book.wb_part)))
    sheets = book.wb.find(f"{{{NS}}}sheets")
    entry = etree.SubElement(sheets, f"{{{NS}}}sheet")
    entry.set("name", new.sheet)
    entry.set("sheetId", str(1 + max(int(s.get("sheetId", "0")) for s in sheets)))
    entry.set(_R_ID, rid)
    book.changed |= {book.names[book.wb_part.lower()],
                     book.names[_rels_name(book.wb_part).lower()]}
    book.wb_rels[rid] = (f"{_REL_BASE}/worksheet", sheet_part)
    book.sheets[new.sheet] = sheet_part
    book._table_index = None


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def _style_ids(book: _Book) -> dict[str, str]:
    """The cell styles a qa_xl table sheet uses (from the import log's sheet: title, intro,
    header) and, by number format code, a style for each format the workbook has."""
    out = {"title": "", "intro": "", "header": ""}
    try:
        sheet, _ = book.find_table("tblImportLog")
    except UnusableInput:
        sheet = None
    if sheet is not None:
        part = book.sheets[sheet]
        cells = {c.get("r"): c.get("s") for c in book.xml(part).iter(_C) if c.get("r") in
                 ("A1", "A2", "A3")}
        for key, ref in (("title", "A1"), ("intro", "A2"), ("header", "A3")):
            if cells.get(ref):
                out[key] = f' s="{cells[ref]}"'
    styles = next((t for typ, t in book.wb_rels.values() if typ.endswith("/styles")), None)
    if styles:
        root = book.xml(styles)
        codes = {f.get("numFmtId"): f.get("formatCode") for f in root.iter(f"{{{NS}}}numFmt")}
        xfs = root.find(f"{{{NS}}}cellXfs")
        for i, xf in enumerate(xfs if xfs is not None else ()):
            code = codes.get(xf.get("numFmtId"))
            if code and f"fmt:{code}" not in out and xf.get("fillId", "0") == "0":
                out[f"fmt:{code}"] = str(i)
    return out


def _xf_attr(styles: dict[str, str], num_format: str | None) -> str:
    style = styles.get(f"fmt:{num_format}") if num_format else None
    return f' style="{style}"' if style else ""


# --- writing tables and cells --------------------------------------------------------------


def _write_table(book: _Book, name: str, new: TableWrite) -> None:
    """Replace a table's data rows, then move its `ref` (and its filter's) to the new last row."""
    sheet, part = book.find_table(name)
    table = book.xml(part)
    c1, r1, c2, r2 = book.range(table.get("ref"), sheet)
    if table.get("headerRowCount", "1") != "1" or table.get("totalsRowCount", "0") != "0":
        book.fail(f"the table '{name}' has a hidden header row or a totals row",
                  "show the header row and turn the totals row off (Table Design), save, and "
                  "try again", sheet)
    columns = [re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), col.get("name", ""))
               for col in table.iter(f"{{{NS}}}tableColumn")]
    if (new.add_missing and new.columns is None and len(columns) == c2 - c1 + 1
            and list(new.header[:len(columns)]) == columns):
        added = {}
        for column in new.header[len(columns):]:  # rows that bring a column qa_xl added
            c1, r1, c2, r2 = _append_column(book, sheet, name, part, (c1, r1, c2, r2), column)
            columns.append(column)
            added[c2] = (new.formats or {}).get(column)
        new = TableWrite(new.header, new.rows)
        _write_table(book, name, new)
        _format_column(book, sheet, r1, added)
        return
    if columns != list(new.header) or len(columns) != c2 - c1 + 1:
        book.fail(f"the table '{name}' has the columns {columns}, not {list(new.header)}",
                  "restore the table's column headings from the template", sheet)
    if new.columns is not None:
        _write_columns(book, sheet, name, (c1, r1, c2, r2), columns, new, part)
        return
    if any(not isinstance(row, Keep) and len(row) != len(columns) for row in new.rows):
        raise ValueError(f"every row for table '{name}' must have {len(columns)} values")
    if any(isinstance(row, Keep) and not r1 < row.row <= r2 for row in new.rows):
        raise ValueError(f"a kept row of table '{name}' is not one of its rows")
    last = r1 + max(len(new.rows), 1)  # an Excel table keeps at least one (blank) data row
    for other in book.tables_of(sheet):
        o1, p1, o2, p2 = book.range(book.xml(other).get("ref"), sheet)
        if other != part and o1 <= c2 and c1 <= o2 and p1 <= last and r1 <= p2:
            book.fail(f"the table '{book.xml(other).get('name')}' is in the way of table '{name}', "
                      "which needs more rows", "move that table further away and try again", sheet)
    _replace_block(book, sheet, (c1, r1 + 1, c2, max(r2, last)), new.rows, style_rows=r2)
    ref = f"{column_letter(c1)}{r1}:{column_letter(c2)}{last}"
    if ref != table.get("ref"):
        table.set("ref", ref)
        for sort in list(table.iter(f"{{{NS}}}sortState")):
            sort.getparent().remove(sort)  # only a record of the last sort, over the old rows
        if (auto := table.find(f"{{{NS}}}autoFilter")) is not None:
            auto.set("ref", ref)
        book.changed.add(part)


def _write_columns(book: _Book, sheet: str, name: str, rect: Rect, header: list[str],
                   new: TableWrite, part: str) -> None:
    """Write only the named columns of a table, one value for each of its current rows."""
    c1, r1, _c2, r2 = rect
    assert new.columns is not None
    if len(new.rows) != r2 - r1 or any(len(row) != len(new.columns) for row in new.rows):
        raise ValueError(f"table '{name}' has {r2 - r1} data rows: give one value per column "
                         "for each of them")
    for j, column in enumerate(new.columns):
        if column not in header:
            if not new.add_missing:
                book.fail(f"the table '{name}' has no column '{column}'",
                          "restore the table's column headings from the template", sheet)
            rect = _append_column(book, sheet, name, part, rect, column)
            header = [*header, column]
        cx = c1 + header.index(column)
        _replace_block(book, sheet, (cx, r1 + 1, cx, r2), [[row[j]] for row in new.rows],
                       style_rows=r2)


def _format_column(book: _Book, sheet: str, header_row: int,
                   formats: dict[int, str | None]) -> None:
    """The cells of columns just added take their number format (a date shows as one), the
    first data row's even when blank: later writes take a column's style from there."""
    styles = _style_ids(book)
    wanted = {c: s for c, f in formats.items() if (s := styles.get(f"fmt:{f}") if f else None)}
    for row in book.sheet_data(sheet) if wanted else ():
        if (r := int(row.get("r") or 0)) <= header_row:
            continue
        todo = dict(wanted) if r == header_row + 1 else {}
        for cell in row.iterchildren(_C):
            if (style := wanted.get(col := _cell_col(cell))) is not None:
                cell.set("s", style)
                todo.pop(col, None)
        for col, style in todo.items():  # a blank first row: a styled empty cell, in order
            cell = etree.Element(_C, r=f"{column_letter(col)}{r}", s=style)
            after = [c for c in row.iterchildren(_C) if _cell_col(c) < col]
            if after:
                after[-1].addnext(cell)
            else:
                row.insert(0, cell)


def _append_column(book: _Book, sheet: str, name: str, part: str, rect: Rect,
                   column: str) -> Rect:
    """Add a column at the table's right edge (a workbook made before qa_xl derived it), with
    its header styled as the table's last one; refused when anything is in its way."""
    c1, r1, c2, r2 = rect
    nc = c2 + 1
    for other in book.tables_of(sheet):
        o1, p1, o2, p2 = book.range(book.xml(other).get("ref"), sheet)
        if other != part and o1 <= nc <= o2 and p1 <= r2 and r1 <= p2:
            book.fail(f"the table '{book.xml(other).get('name')}' is in the way of the column "
                      f"'{column}' qa_xl adds to table '{name}'", "move that table one column "
                      "further right and try again", sheet)
    header_style = None
    for row in book.sheet_data(sheet):
        r = int(row.get("r") or 0)
        if r1 <= r <= r2:
            for cell in row.iterchildren(_C):
                col = _cell_col(cell)
                if col == nc and len(cell):
                    book.fail(f"the cell right of table '{name}' is not empty, but qa_xl adds "
                              f"its column '{column}' there", "move what is there one column "
                              "further right and try again", sheet, cell.get("r"))
                if col == c2 and r == r1:
                    header_style = cell.get("s")
    table = book.xml(part)
    columns = table.find(f"{{{NS}}}tableColumns")
    ids = [int(c.get("id", "0")) for c in columns.iterfind(f"{{{NS}}}tableColumn")]
    added = etree.SubElement(columns, f"{{{NS}}}tableColumn")
    added.set("id", str(max(ids, default=0) + 1))
    added.set("name", column)
    columns.set("count", str(len(ids) + 1))
    ref = f"{column_letter(c1)}{r1}:{column_letter(nc)}{r2}"
    table.set("ref", ref)
    if (auto := table.find(f"{{{NS}}}autoFilter")) is not None:
        auto.set("ref", ref)
    book.changed.add(part)
    _replace_block(book, sheet, (nc, r1, nc, r1), [[column]], r1)
    if header_style:
        for row in book.sheet_data(sheet):
            if int(row.get("r") or 0) == r1:
                for cell in row.iterchildren(_C):
                    if _cell_col(cell) == nc:
                        cell.set("s", header_style)
    return c1, r1, nc, r2


def _replace_block(book: _Book, sheet: str, rect: Rect,
                   values: list[list[CellValue] | Keep], style_rows: int) -> None:
    """Replace every cell inside `rect` by `values`, written from its top-left corner.

    Each row of the block is rebuilt from new XML; cells outside the rectangle are moved into it
    unchanged and the row keeps its attributes. A column's style is that of its existing cell in
    the block's first row, else the <col> style, so date columns keep their date format. A
    :class:`Keep` in its own row leaves that row alone; elsewhere it copies that row's cells.
    """
    c1, r1, c2, r2 = rect
    data = book.sheet_data(sheet)
    kept = {r1 + i: v.row for i, v in enumerate(values) if isinstance(v, Keep)}
    unchanged = {dest for dest, src in kept.items() if dest == src}
    rows: dict[int, etree._Element] = {}
    anchor = None  # the row after which the next new row goes
    for row in data:
        if (r := int(row.get("r") or 0)) == 0:
            book.fail("a row has no row number", sheet=sheet)
        if r > r2:
            break
        if r < r1:
            anchor = row
            continue
        rows[r] = row
        if r not in unchanged:
            _check_old_cells(book, sheet, row, rect, below_table=r > style_rows)
    copies = {dest: _moved_cells(book, sheet, rows.get(src), c1, c2, dest)
              for dest, src in kept.items() if dest != src}
    first = {_cell_col(c): c.get("s") for c in rows[r1].iterchildren(_C)} if r1 in rows else {}
    col_styles = {}
    for col in data.getparent().iterfind(f"{{{NS}}}cols/{{{NS}}}col"):
        for c in range(max(int(col.get("min", 1)), c1), min(int(col.get("max", 0)), c2) + 1):
            col_styles[c] = col.get("style")
    styles = {c: first.get(c) or col_styles.get(c) for c in range(c1, c2 + 1)}
    for new in _new_rows(book, sheet, rect, values, styles):
        r = int(new.get("r"))
        old = rows.get(r)
        if r in unchanged:
            anchor = old if old is not None else anchor
            continue
        new.extend(copies.get(r, ()))
        if old is not None:
            _merge_row(old, new, c1, c2)
        if not len(new) and set(new.attrib) <= _BOOKKEEPING:
            if old is not None:
                data.remove(old)
            continue
        if old is not None:
            data.replace(old, new)
        elif anchor is None:
            data.insert(0, new)
        else:
            anchor.addnext(new)
        anchor = new


def _moved_cells(book: _Book, sheet: str, row: etree._Element | None, c1: int, c2: int,
                 dest: int) -> list[etree._Element]:
    """Copies of a row's cells in columns c1..c2, renumbered to row ``dest``; a formula is
    refused (its references would no longer mean what the officer typed)."""
    out = []
    for cell in row.iterchildren(_C) if row is not None else ():
        if not c1 <= _cell_col(cell) <= c2:
            continue
        if cell.find(_F) is not None:
            book.fail("the cell holds a formula in a row qa_xl would have to move to another "
                      "row of the table", "type its value instead of the formula (or move the "
                      "formula out of the table) and try again", sheet, cell.get("r"))
        copy = deepcopy(cell)
        copy.set("r", f"{cell.get('r', '').rstrip('0123456789')}{dest}")
        out.append(copy)
    return out


def _check_old_cells(book: _Book, sheet: str, row: etree._Element, rect: Rect,
                     below_table: bool) -> None:
    """Refuse to overwrite what was typed below a growing table or to cut a shared formula
    in two; note removed formulas, which make calcChain stale."""
    c1, _, c2, _ = rect
    for formula in row.iter(_F):
        if c1 <= _cell_col(cell := formula.getparent()) <= c2:
            book.formula_removed = True
            shared = formula.get("t") == "shared" and formula.get("ref")
            o1, p1, o2, p2 = book.range(shared, sheet) if shared else rect
            if not (c1 <= o1 and o2 <= c2 and rect[1] <= p1 and p2 <= rect[3]):
                book.fail("the cell holds a formula that Excel shares with cells outside the "
                          "area being written", "retype the formula in those cells and try again",
                          sheet, cell.get("r"))
    for cell in row.iterchildren(_C) if below_table else ():
        if c1 <= _cell_col(cell) <= c2 and len(cell):
            book.fail("the cell is not empty but the table needs this row",
                      "move what is below the table further down and try again",
                      sheet, cell.get("r"))


def _new_rows(book: _Book, sheet: str, rect: Rect, values: list[list[CellValue] | Keep],
              styles: dict[int, str | None]) -> list[etree._Element]:
    """One new <row> per row of the block (empty past the values), parsed from one string:
    about 5x faster than making the elements one by one."""
    c1, r1, c2, r2 = rect
    letters = [column_letter(c) for c in range(c1, c2 + 1)]
    style_attrs = [f' s="{styles[c]}"' if (styles[c] or "").isdigit() else ""
                   for c in range(c1, c2 + 1)]
    parts = [f'<sheetData xmlns="{NS}">']
    for r in range(r1, r2 + 1):
        parts.append(f'<row r="{r}">')
        row_values = values[r - r1] if r - r1 < len(values) else ()
        for j, value in enumerate(() if isinstance(row_values, Keep) else row_values):
            ref = f"{letters[j]}{r}"
            try:
                kind, text = _encode(value, book.date1904) or ("", "")
            except ValueError as exc:
                raise DataError(str(exc), file=book.path, sheet=sheet, cell=ref,
                                action="correct the value in the source data and run again"
                                ) from None
            if kind == "inlineStr":
                parts.append(f'<c r="{ref}"{style_attrs[j]} t="inlineStr"><is>'
                             f'<t xml:space="preserve">{text}</t></is></c>')
            elif text:
                kind = f' t="{kind}"' if kind else ""
                parts.append(f'<c r="{ref}"{style_attrs[j]}{kind}><v>{text}</v></c>')
            elif style_attrs[j]:  # a blank keeps its column's format
                parts.append(f'<c r="{ref}"{style_attrs[j]}/>')
        parts.append("</row>")
    parts.append("</sheetData>")
    return list(etree.fromstring("".join(parts), book.parser))


def _merge_row(old: etree._Element, new: etree._Element, c1: int, c2: int) -> None:
    """Give the new row the old row's attributes and its cells left and right of the block."""
    for key, value in old.attrib.items():
        new.set(key, value)
    if len(old) and not (old[-1].tag == _C and c1 <= _cell_col(old[0])
                         and _cell_col(old[-1]) <= c2):  # else all old cells are replaced
        new[0:0] = [el for el in old if el.tag == _C and _cell_col(el) < c1]
        new.extend([el for el in old if el.tag != _C or _cell_col(el) > c2])
    if (spans := new.get("spans")) and re.fullmatch(r"\d+:\d+", spans):
        lo, hi = map(int, spans.split(":"))
        new.set("spans", f"{min(lo, c1)}:{max(hi, c2)}")


def _encode(value: CellValue, date1904: bool) -> tuple[str, str] | None:
    """(cell type, XML text) of a value: '' number, 'b' boolean, 'inlineStr' text; None = blank.

    Text is stored inline so sharedStrings.xml never changes, and never as a formula: text
    starting with '=' stays text. Dates become serial numbers in the workbook's date system.
    """
    if isinstance(value, str):
        if len(value) > _MAX_TEXT:
            raise ValueError(f"the text is longer than Excel's {_MAX_TEXT} characters")
        if not (text := _ILLEGAL_XML.sub("", value)):  # COUNTA would count "" as filled
            return None
        if "_x" in text:
            text = _X_ESCAPE.sub(r"_x005F_\1", text)
        return "inlineStr", text.replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;").replace("\r", "&#13;")  # a raw CR would be read back as LF
    if value is None or value != value:  # None, NaN, NaT
        return None
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, dt.date):
        serial = _serial(value, date1904)
        return ("", serial) if serial else ("inlineStr", value.isoformat())
    if isinstance(value, int | numbers.Integral):  # int first: the ABC check is slower
        return "", str(int(value))
    if isinstance(value, numbers.Real):
        if math.isinf(value):
            raise ValueError("the value is an infinite number, which Excel cannot store")
        return "", repr(float(value))
    raise TypeError(f"cannot write a {type(value).__name__} to a cell: {value!r}")


def _serial(value: dt.date, date1904: bool) -> str | None:
    """Excel serial date (with Excel's phantom 29 Feb 1900); None before the epoch."""
    seconds = 0.0
    if isinstance(value, dt.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        value = value.date()
    if date1904:
        days = (value - dt.date(1904, 1, 1)).days
    else:
        days = (value - dt.date(1899, 12, 30)).days
        days -= days < 61  # before 1 March 1900 Excel counts from 31 Dec 1899
    if days < (0 if date1904 else 1):
        return None
    return repr(days + seconds / 86400) if seconds else str(days)


# --- finishing and writing the package ----------------------------------------------------


def _finish(book: _Book) -> None:
    """Fix sheet dimensions, drop a stale calcChain, and make Excel recalculate on open."""
    for name in {*book.changed, *book.added}:
        if name in book.trees and book.trees[name].tag == f"{{{NS}}}worksheet":
            _update_dimension(book.trees[name])
    chain = [(rid, t) for rid, (typ, t) in book.wb_rels.items() if typ.endswith("/calcChain")]
    if book.formula_removed and chain:  # Excel rebuilds it; a stale one makes Excel "repair"
        rid, part = chain[0]
        rels = book.xml(_rels_name(book.wb_part))
        for rel in rels.findall(f"{{{_PKG_REL}}}Relationship[@Id='{rid}']"):
            rels.remove(rel)
        types = book.xml("[Content_Types].xml")
        for override in types.iter(f"{{{_CT}}}Override"):
            if override.get("PartName", "").lower() == f"/{part}".lower():
                types.remove(override)
        book.dropped.add(part)
        book.changed |= {book.names[_rels_name(book.wb_part).lower()],
                         book.names["[content_types].xml"]}
    calc = book.wb.find(f"{{{NS}}}calcPr")  # cached results of formulas over the data are stale
    if calc is not None and calc.get("fullCalcOnLoad") not in ("1", "true"):
        calc.set("fullCalcOnLoad", "1")
        book.changed.add(book.names[book.wb_part.lower()])


def _update_dimension(worksheet: etree._Element) -> None:
    """Set <dimension ref> to the range that holds cells (Excel uses it as the used range)."""
    if (dim := worksheet.find(f"{{{NS}}}dimension")) is None:
        return
    rows, cols = [], []
    for row in worksheet.find(f"{{{NS}}}sheetData"):
        if len(row) and row[0].tag == _C:
            last = row[-1] if row[-1].tag == _C else row.findall(_C)[-1]
            rows.append(int(row.get("r")))
            cols += [_cell_col(row[0]), _cell_col(last)]
    first, last = (f"{column_letter(min(cols))}{rows[0]}", f"{column_letter(max(cols))}{rows[-1]}"
                   ) if rows else ("A1", "A1")
    dim.set("ref", first if first == last else f"{first}:{last}")


def _save_temp(book: _Book, zin: zipfile.ZipFile, target: Path) -> Path:
    """Write the new package to a hidden file beside the workbook, then check it from disk."""
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=temp_prefix(target),
                                    suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise os_problem(exc, "write beside the workbook", target.parent) from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            with zipfile.ZipFile(out, "w") as zout:
                for info in zin.infolist():  # same members, same order
                    if info.filename in book.dropped:
                        continue
                    data = (book.serialise(info.filename) if info.filename in book.changed
                            else zin.read(info))
                    member = zipfile.ZipInfo(info.filename, info.date_time)
                    member.external_attr, member.create_system = (info.external_attr,
                                                                  info.create_system)
                    member.compress_type = (zipfile.ZIP_STORED if info.compress_type == 0
                                            else zipfile.ZIP_DEFLATED)
                    zout.writestr(member, data, compresslevel=_COMPRESSLEVEL)
                for name in book.added:
                    zout.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)),
                                  book.serialise(name), compress_type=zipfile.ZIP_DEFLATED,
                                  compresslevel=_COMPRESSLEVEL)
            out.flush()
            os.fsync(out.fileno())
        _copy_what_the_file_is(target, tmp)  # mkstemp makes it private (0600)
        with zipfile.ZipFile(tmp) as new:  # copied members keep their CRC; testzip ~7 ms/3 MB
            old = {i.filename: i.CRC for i in zin.infolist() if i.filename not in book.dropped}
            if new.namelist() != [*old, *book.added] or new.testzip() is not None or any(
                    i.filename not in book.changed and i.filename not in book.added
                    and old[i.filename] != i.CRC for i in new.infolist()):
                raise UnusableInput("the new file did not check out", file=book.path,
                                    action="try again; the workbook has not been changed")
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise os_problem(exc, "save the workbook", book.path) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _copy_what_the_file_is(source: Path, copy: Path) -> None:
    """The new file gets the old one's permissions and, where the process may, its owner
    and group (a shared drive's workbook stays the team's)."""
    st = os.stat(source)
    os.chmod(copy, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):
            os.chown(copy, st.st_uid, st.st_gid)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to flush."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


TEMP_SUFFIX = ".tmp"


def temp_prefix(path: Path) -> str:
    """qa_xl's temporary files beside a workbook: ``.QA_Master.xlsx.qa_xl-<random>.tmp``."""
    return f".{path.name}.qa_xl-"


def _backup(path: Path, data: bytes) -> Path:
    """Keep ``data`` (the version being replaced) as backups/<stem>.backup-<timestamp>[-n]
    <suffix>: written under a temporary name, checked to open as the workbook, then renamed,
    so a full disk or a killed run never leaves a broken file with a backup's name."""
    folder = path.parent / "backups"
    doing = f"keep a backup of the workbook {path.name} in its backups folder ({folder})"
    try:
        folder.mkdir(exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        n = max((key[1] for key, _ in _backups(path) if key[0] == stamp), default=0) + 1
        fd, name = tempfile.mkstemp(dir=folder, prefix=temp_prefix(path), suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise os_problem(exc, doing, path) from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if not _good_backup(tmp):
            raise UnusableInput(f"the backup of the workbook {path.name} did not check out "
                                f"({tmp})", file=path,
                                action="try again; the workbook has not been changed")
        faults.point("backup-temp-written")
        _copy_what_the_file_is(real_file(path), tmp)
        target = _rename_new(tmp, lambda n: folder / (
            f"{path.stem}.backup-{stamp}{f'-{n}' * (n > 1)}{path.suffix}"), n)
        faults.point("backup-renamed")
    except OSError as exc:
        raise os_problem(exc, doing, path) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _rename_new(tmp: Path, name: Callable[[int], Path], n: int) -> Path:
    """Give ``tmp`` the first of ``name(n)``, ``name(n + 1)``… that no file has yet: a backup
    is never written over another (two saves in one second, a clock put back an hour)."""
    for _ in range(10_000):
        target = name(n)
        try:
            os.link(tmp, target)  # fails if the name is taken, where os.replace would not
        except FileExistsError:
            n += 1
            continue
        except OSError:  # a drive without hard links (some network shares)
            if target.exists() or target.is_symlink():
                n += 1
                continue
            os.replace(tmp, target)
            return target
        tmp.unlink(missing_ok=True)
        return target
    raise FileExistsError(errno.EEXIST, "no free backup name", str(name(n)))


def _good_backup(path: Path, *, thorough: bool = True) -> bool:
    """Does the file open as a workbook package? ``thorough`` also reads every member and
    checks its CRC (for the backup just written); pruning only needs the package's directory
    (a file cut short by a killed copy has none), which costs a millisecond, not ten."""
    try:
        with zipfile.ZipFile(path) as z:
            names = {n.lower() for n in z.namelist()}
            return "[content_types].xml" in names and any(
                n.startswith("xl/workbook") for n in names) and (
                not thorough or z.testzip() is None)
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        return False


def _backups(path: Path) -> list[tuple[tuple[str, int], Path]]:
    """The backups of `path`, oldest first."""
    pattern = re.compile(
        rf"{re.escape(path.stem)}\.backup-(\d{{8}}-\d{{6}})(?:-(\d+))?{re.escape(path.suffix)}")
    folder = path.parent / "backups"
    if not folder.is_dir():
        return []
    return sorted(((m[1], int(m[2] or 1)), p) for p in folder.iterdir()
                  if (m := pattern.fullmatch(p.name)))


def _prune(path: Path, keep: int) -> None:
    """Keep the ``keep`` newest *good* backups; a damaged one (left by an older version) is
    removed only once ``keep`` good ones newer than it exist. Runs only after a good save."""
    good = 0
    for backup in _newest_first([p for _, p in _backups(path)]):
        if good >= keep:
            backup.unlink(missing_ok=True)
        elif _good_backup(backup, thorough=False):
            good += 1


def _newest_first(backups: list[Path]) -> list[Path]:
    """Backups by when they were written (their modification time), not by the time in their
    name: the name is the local clock's, which goes back an hour each autumn and can be set
    wrong, and a backup copied in from elsewhere keeps its name."""
    def written(p: Path) -> int:
        try:
            return p.stat().st_mtime_ns
        except OSError:
            return 0
    order = {p: i for i, p in enumerate(backups)}  # the name's order breaks a tie
    return sorted(backups, key=lambda p: (written(p), order[p]), reverse=True)


def _remove_leftovers(path: Path, target: Path) -> None:
    """Temporary files a killed run left beside the workbook or in backups/: only qa_xl's
    own (by name), and only while this job holds the lock, so nobody is still writing them."""
    from qa_xl.workbook.lock import is_held

    if not is_held(path):
        return
    for folder, base in ((target.parent, target), (target.parent / "backups", target)):
        if folder.is_dir():
            for leftover in folder.glob(f"{glob.escape(temp_prefix(base))}*{TEMP_SUFFIX}"):
                leftover.unlink(missing_ok=True)


# --- references ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _cell_col(cell: etree._Element) -> int:
    return _col_number(cell.get("r", "").rstrip("0123456789"))


def column_letter(n: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
