"""Checking a return's package before any spreadsheet reader sees it.

Type, size, zip bomb, macros, XML document types (via defusedxml) and formulas: a file that
fails here is refused by name and never parsed by python-calamine.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from qa_xl.collect.master import ABOUT_SHEET, META_KEYS

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


def read_bytes(path: Path) -> bytes:
    name = path.name
    if not path.is_file():
        raise Refused(f"{name}: the file does not exist")
    suffix = path.suffix.lower()
    if suffix == ".xlsm":
        raise Refused(f"{name}: a macro-enabled workbook (.xlsm) is not accepted as a return; "
                      "send the .xlsx that was issued")
    if suffix != ".xlsx":
        raise Refused(f"{name}: a return must be the issued .xlsx file, not {suffix or 'this'}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Refused(f"{name}: {size / 1e6:.1f} MB is far larger than a return can be "
                      f"(limit {MAX_FILE_BYTES // 1_000_000} MB); send the issued file")
    return path.read_bytes()


def check_package(path: Path, data: bytes) -> list[str]:
    """Size, zip bomb, macros and XML document types, before any reader runs; returns the
    cells that hold formulas (refused once the file is known to be a return)."""
    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    name = path.name
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused(f"{name}: the file is damaged or not an Excel workbook ({exc})") from exc
    if len(members) > MAX_MEMBERS:
        raise Refused(f"{name}: the workbook has {len(members)} parts; a return has a few dozen")
    if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
        raise Refused(f"{name}: the workbook carries macros; send the issued .xlsx without them")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNZIPPED_BYTES or any(
            m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1)
            for m in members):
        raise Refused(f"{name}: the file expands to far more than it holds (a zip bomb?)")
    total = 0
    formulas: list[str] = []
    for m in members:
        try:
            with zf.open(m) as part:
                body = part.read(MAX_UNZIPPED_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise Refused(f"{name}: part {m.filename} is damaged ({exc})") from exc
        total += len(body)
        if total > MAX_UNZIPPED_BYTES:
            raise Refused(f"{name}: the file expands to far more than it holds (a zip bomb?)")
        if m.filename.endswith((".xml", ".rels", ".vml")):
            try:
                root = safe_xml.fromstring(body, forbid_dtd=True)
            except DefusedXmlException as exc:
                raise Refused(f"{name}: part {m.filename} declares XML entities or a document "
                              "type, which a return never has; send the issued file") from exc
            except safe_xml.ParseError as exc:
                raise Refused(f"{name}: part {m.filename} is damaged ({exc})") from exc
            if m.filename.startswith("xl/worksheets/"):
                formulas += _formula_cells(root)
    return formulas


def _formula_cells(root: Any) -> list[str]:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    return [c.get("r", "?") for c in root.iter(f"{ns}c") if c.find(f"{ns}f") is not None]


def read_book(path: Path, data: bytes) -> Any:
    import python_calamine as calamine

    try:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(data), load_tables=True)
    except Exception as exc:  # calamine raises several types for damaged packages
        raise Refused(f"{path.name}: the workbook cannot be read ({exc})") from exc


def metadata(path: Path, book: Any) -> dict[str, str]:
    if ABOUT_SHEET not in book.sheet_names and "tblConfig" in book.table_names:
        raise Refused(f"{path.name}: this is a master workbook, not a partner's return; give "
                      "the returns partners sent back")
    if ABOUT_SHEET not in book.sheet_names:
        raise Refused(f"{path.name}: the return's hidden details are missing, so it was not "
                      "issued by qa-xl returns issue (or was copied into a new workbook); "
                      "fill in the file you were sent")
    values = book.get_sheet_by_name(ABOUT_SHEET).to_python()
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in values if len(r) >= 2 and r[0]}
    missing = [k for k in META_KEYS if not meta.get(k)]
    if missing:
        raise Refused(f"{path.name}: the return's hidden details lack {', '.join(missing)} (no "
                      "signature), so it cannot be trusted; fill in the file you were sent")
    return meta


