"""Compile the workbook's VBA project (``xl/vbaProject.bin``) from plain-text sources.

No tool here can drive Excel's VBA editor, so the project is written with the PyPI package
``ms-ovba`` (the ``vba`` extra), as source only — no compiled p-code, the same form as xlwings'
own ``quickstart_standalone.xlsm`` — and Excel compiles it when the workbook opens. The modules
are ``xl_macros/*.bas`` (the buttons) plus xlwings' standalone VBA (``xlwings.bas`` and the
``Dictionary`` class it needs on a Mac), so officers need ``pip install qa_xl`` but no add-in.

ms-ovba 0.0.1 needs the fixes found in ``shared/notes/excel-on-linux.md`` §2, all applied here
for the duration of one build only:

* the copy token's maximum length is ``(0xFFFF >> bit_count) + 3`` (MS-OVBA 2.4.1.3.19.3), not
  ``0xFFFF << bit_count + 3`` — without it any module over ~1 KB comes out corrupt; a faster
  search for the longest match, giving the same tokens, keeps a build well under a second;
* the project's protection fields are salted from ``random``: a seeded generator makes the
  build byte-for-byte reproducible;
* class modules (``Class=`` in PROJECT, module type 0x0022) are added by a small subclass;
* it writes scratch files into the current directory, so it runs in a private temp directory;
* every sheet needs its document module, named by the sheet's code name.

The committed template ``workbook/QA_Master.xlsm`` is rebuilt by :mod:`qa_xl.workbook.template`
(``python -m qa_xl.vba --rebuild-workbook``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import random
import re
import struct
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa_xl.core.errors import UnusableInput
from qa_xl.core.files import shipped_folder

PROJECT_ID = "{6F1A2C3D-7B8E-4A59-9C0D-1E2F3A4B5C6D}"
CRYPTO_SEED = 20260101
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
PYTHON_MODULE = "qa_xl.xl"


@dataclass(frozen=True)
class Button:
    """A form button on the Start sheet: the VBA sub it runs and the qa_xl.xl function."""

    sub: str
    caption: str
    function: str

    @property
    def command(self) -> str:
        """The exact Python the sub hands to RunPython."""
        return f"import {PYTHON_MODULE}; {PYTHON_MODULE}.{self.function}()"

    def label(self, names: dict[str, str]) -> str:
        """The caption with the partnership's names, in plain words: XlsxWriter writes a
        button's caption into the drawing's XML as it is, so an "&" (or < > " ') from a name
        would make the .xlsm unreadable once LibreOffice re-saves it."""
        return plain_caption(self.caption.format(**names))


def plain_caption(text: str) -> str:
    """Text without XML's special characters: "&" said as "and", < > " ' left out."""
    text = re.sub(r"\s*&\s*", " and ", text)
    return re.sub(r"\s+", " ", re.sub(r"[<>\"']", "", text)).strip()


BUTTONS = (
    Button("Validate", "Validate", "validate"),
    Button("RollUp", "Roll up", "rollup"),
    Button("IssueReturns", "Issue returns", "issue_returns"),
    Button("ImportReturns", "Import returns", "import_returns"),
    Button("ChaseReturns", "Chase returns", "chase_returns"),
    Button("BuildPack", "Build committee pack", "build_pack"),
    Button("BuildBoardReport", "Build {board} report", "build_board_report"),
)
# The self-assessments (issue 12), appended as their own entry.
BUTTONS += (
    Button("IssueS11", "Issue Section 11 forms", "s11_issue"),
    Button("ImportS11", "Import Section 11 forms", "s11_import"),
    Button("IssueS175", "Issue Section 175/157 forms", "s175_issue"),
    Button("ImportS175", "Import Section 175/157 forms", "s175_import"),
)


# ------------------------------------------------------------------------------- the sources

def macros_dir() -> Path:
    """``xl_macros`` of the repository (an editable install) or of the package data."""
    folder = shipped_folder("xl_macros", "*.bas")
    if any(folder.glob("*.bas")):
        return folder
    raise UnusableInput("the VBA sources (xl_macros/*.bas) are not installed",
                        action="reinstall qa_xl (pip install qa_xl, or pip install -e . in its "
                        "repository) to build an .xlsm, or build an .xlsx")


def xlwings_sources() -> list[Path]:
    """xlwings' standalone VBA: what ``xlwings quickstart --standalone`` puts in a workbook."""
    spec = importlib.util.find_spec("xlwings")  # its files, without importing it
    if spec is None or spec.origin is None:
        raise UnusableInput("xlwings is not installed, so its VBA module cannot be added",
                            action="reinstall qa_xl (pip install -e . in its repository)")
    root = Path(spec.origin).parent
    return [root / "xlwings.bas", root / "addin" / "Dictionary.cls"]


def default_sources() -> list[Path]:
    """Our button modules (sorted, so the build is reproducible) then xlwings' own."""
    return sorted(macros_dir().glob("*.bas")) + xlwings_sources()


def _ascii_text(path: Path) -> str:
    """A source as text. ms-ovba declares code page 1252 but reads the locale encoding, so
    only ASCII is safe; refuse anything else rather than build a corrupt module."""
    data = path.read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"the VBA source has a non-ASCII character at byte {exc.start}",
                            file=path, action="write it in plain ASCII") from exc
    return text.replace("\r\n", "\n")


def module_name(text: str, path: Path) -> str:
    for line in text.split("\n"):
        if line.startswith("Attribute VB_Name = "):
            return line.split("=", 1)[1].strip().strip('"')
    raise UnusableInput("the VBA source has no Attribute VB_Name line", file=path,
                        action='start it with Attribute VB_Name = "ModuleName"')


def _crlf(lines: Sequence[str]) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def standard_module_code(text: str) -> bytes:
    """A .bas file is stored as it is, with CRLF line ends."""
    return _crlf(text.removesuffix("\n").split("\n"))


def class_module_code(text: str) -> bytes:
    """A .cls export without its VERSION/BEGIN…END header, with the attributes Excel keeps
    in the stored module (VB_Base, VB_TemplateDerived, VB_Customizable), as in xlwings'
    quickstart_standalone.xlsm."""
    lines = text.removesuffix("\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Attribute VB_Name"))
    out: list[str] = []
    for line in lines[start:]:
        out.append(line)
        if line.startswith("Attribute VB_Name"):
            out.append(f'Attribute VB_Base = "{CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed"):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    return _crlf(out)


def document_module_code(name: str, base: str) -> bytes:
    """The (empty) code module behind ThisWorkbook or one worksheet."""
    return _crlf([f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "{base}"',
                  "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
                  "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
                  "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"])


# ------------------------------------------------------------------ compression (MS-OVBA 2.4.1)

def copytoken_help(difference: int) -> dict[str, int]:
    """ms-ovba-compression's helper with the maximum length MS-OVBA 2.4.1.3.19.3 gives."""
    from ms_ovba_compression.ms_ovba import MsOvba

    bit_count = MsOvba.ceil_log2(difference)
    length_mask = 0xFFFF >> bit_count
    return {"lengthMask": length_mask, "offsetMask": ~length_mask & 0xFFFF,
            "bitCount": bit_count, "maxLength": length_mask + 3}


def _matching(self: object) -> tuple[int, int]:
    """ms-ovba's longest-match search, same answer (the nearest of the longest candidates,
    then capped at the maximum length) but visiting only candidates that match 3 bytes."""
    chunk: bytes = self._activeChunk  # type: ignore[attr-defined]
    d = len(chunk) - len(self._uncompressedData)  # type: ignore[attr-defined]
    n = len(chunk)
    if d == 0 or d + 3 > n:
        return 0, 0
    prefix = chunk[d:d + 3]
    best_length, best_candidate = 0, 0
    c = chunk.rfind(prefix, 0, d + 2)
    while c >= 0:
        length = 3
        while d + length < n and chunk[c + length] == chunk[d + length]:
            length += 1
        if length > best_length:
            best_length, best_candidate = length, c
        c = chunk.rfind(prefix, 0, c + 2)
    if best_length < 3:
        return 0, 0
    return d - best_candidate, min(copytoken_help(d)["maxLength"], best_length)


@functools.lru_cache(maxsize=64)
def compress(data: bytes) -> bytes:
    """MS-OVBA compression of one module's source (cached: xlwings' module is 46 KB)."""
    from ms_ovba_compression.ms_ovba import MsOvba

    with _patched_compression():
        return MsOvba().compress(data)


_LOCK = threading.RLock()


@contextlib.contextmanager
def _patched_compression() -> Iterator[None]:
    from ms_ovba_compression.ms_ovba import MsOvba

    with _LOCK:
        saved = MsOvba.__dict__["copytoken_help"], MsOvba.__dict__["_matching"]
        MsOvba.copytoken_help = staticmethod(copytoken_help)
        MsOvba._matching = _matching
        try:
            yield
        finally:
            MsOvba.copytoken_help, MsOvba._matching = saved


# ------------------------------------------------------------------------------ the project

def _module_class() -> type:
    from ms_ovba.Models.Entities.module_base import ModuleBase

    class SourceModule(ModuleBase):
        """A module whose stored source is given as bytes (no scratch files beside sources);
        ``kind`` is Module, Class or Document."""

        def __init__(self, name: str, kind: str, code: bytes) -> None:
            super().__init__(name)
            self.type = kind
            self.code = code
            self._file_path = f"module_{name}"

        def write_file(self) -> None:
            Path(self.bin_path).write_bytes(self._cache + compress(self.code))

        def pack(self, endien: str, cp_name: str) -> bytes:
            packed = super().pack(endien, cp_name)
            if self.type != "Class":
                return packed
            # ModuleBase gives every non-document module type 0x0021 (procedural); a class
            # module is 0x0022. The type record sits just before the 6-byte terminator.
            fmt = "<HI" if endien == "little" else ">HI"
            return packed[:-12] + struct.pack(fmt, 0x0022, 0) + packed[-6:]

        def to_project_module_string(self) -> str:
            if self.type == "Document":
                return f"Document={self.name}/&H00000000"
            return f"{self.type}={self.name}"

    return SourceModule


def _references() -> list[object]:
    """stdole and the Office library, as Excel gives every new project."""
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Fields.libid_reference import LibidReference

    stdole = LibidReference(uuid.UUID("00020430-0000-0000-C000-000000000046"), "2.0", "0",
                            "C:\\Windows\\System32\\stdole2.tlb", "OLE Automation")
    office = LibidReference(uuid.UUID("2DF8D04C-5BFA-101B-BDE5-00AA0044DE52"), "2.0", "0",
                            "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\"
                            "MSO.DLL", "Microsoft Office 16.0 Object Library")
    return [Reference(ReferenceRegistered(stdole), "stdole"),
            Reference(ReferenceRegistered(office), "Office")]


def build_vba_project(sheet_code_names: Sequence[str],
                      sources: Sequence[Path] | None = None) -> bytes:
    """The bytes of vbaProject.bin: ThisWorkbook, one document module per sheet code name
    (in sheet order), then each source (.bas standard, .cls class). Same input, same bytes."""
    try:
        import ms_ovba_crypto.ms_ovba_crypto as crypto
    except ImportError as exc:
        raise UnusableInput("building a macro-enabled workbook needs the ms-ovba packages",
                            action="reinstall qa_xl (pip install -e . in the repository), or "
                            "build an .xlsx") from exc
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile

    module = _module_class()
    project = VbaProject()
    project.project_id = PROJECT_ID
    project.include_projectwm()
    project.add_module(module("ThisWorkbook", "Document",
                              document_module_code("ThisWorkbook", WORKBOOK_BASE)))
    for name in sheet_code_names:
        project.add_module(module(name, "Document", document_module_code(name, SHEET_BASE)))
    for path in sources if sources is not None else default_sources():
        text = _ascii_text(Path(path))
        name = module_name(text, Path(path))
        if Path(path).suffix.lower() == ".cls":
            project.add_module(module(name, "Class", class_module_code(text)))
        else:
            project.add_module(module(name, "Module", standard_module_code(text)))
    for reference in _references():
        project.add_reference(reference)
    with _LOCK, tempfile.TemporaryDirectory(prefix="qa_xl-vba-") as scratch, \
            _working_directory(scratch), _patched_compression():
        saved_random = crypto.random
        crypto.random = random.Random(CRYPTO_SEED)  # type: ignore[assignment]
        try:
            with warnings.catch_warnings():  # ms-cfb leaves scratch files to CPython to close
                warnings.simplefilter("ignore", ResourceWarning)
                ProjectOleFile.write_file(project)
        finally:
            crypto.random = saved_random
        return Path(scratch, "vbaProject.bin").read_bytes()


@contextlib.contextmanager
def _working_directory(path: str) -> Iterator[None]:
    """ms-ovba and ms-cfb write their scratch files into the current directory."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
