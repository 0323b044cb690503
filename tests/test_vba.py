"""The macro-enabled master: its VBA project, its buttons, and what clicking them runs.

No Excel runs here (notes §2), so every layer is read back by an independent component:
olevba (oletools) decompresses the VBA project, LibreOffice lists its modules and buttons and
runs each button's sub — with a stub in place of xlwings' module that records the RunPython
command — and the recorded command is then run in Python on a real xlwings Book.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import pytest
import xlwings as xw
from python_calamine import CalamineWorkbook

from libreoffice import soffice
from qa_xl.collect.consolidate import rollup
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.core.errors import UnusableInput
from qa_xl.example import fill_return
from qa_xl.validation import validate
from qa_xl.workbook import template, vba
from qa_xl.workbook.build import new
from xl_remote import actions, remote_book

HERE = Path(__file__).parent
MACROS = sorted(vba.macros_dir().glob("*.bas"))
STUB = '''Attribute VB_Name = "xlwings"
' Test stand-in for xlwings' module: records the command instead of starting Python.
Public Function RunPython(PythonCommand As String)
    ThisWorkbook.Worksheets("Start").Range("Z1").Value = PythonCommand
End Function
'''
SECRET, WORKBOOK_ID = "7c3e" * 16, "11111111-1111-1111-1111-111111111111"


def vba_parser(path: Path):
    """oletools' olevba, imported quietly (its pyparsing calls are deprecated)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from oletools.olevba import VBA_Parser
    return VBA_Parser(str(path))


def subs(path: Path) -> dict[str, str]:
    """Each Public Sub of a .bas file and the one RunPython command in it."""
    text = path.read_text(encoding="ascii")
    out = {}
    for name, body in re.findall(r"^Public Sub (\w+)\(\)\n(.*?)^End Sub", text, re.M | re.S):
        commands = re.findall(r'^\s*RunPython "([^"]*)"\s*$', body, re.M)
        assert len(commands) == 1, f"{name} must make exactly one RunPython call"
        assert "On Error GoTo" in body, f"{name} has no error handling"
        out[name] = commands[0]
    return out


def sheet_count(path: Path) -> int:
    return len(re.findall(r"<sheet ", zipfile.ZipFile(path).read("xl/workbook.xml").decode()))


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory, config) -> Path:
    path = tmp_path_factory.mktemp("xlsm") / "QA_Master.xlsm"
    return new(path, config, secret=SECRET, workbook_id=WORKBOOK_ID)


@pytest.fixture(scope="module")
def stub_xlsm(xlsm, tmp_path_factory) -> Path:
    """The same workbook whose project holds the buttons and a stub for xlwings' module:
    LibreOffice's Basic cannot compile xlwings.bas (notes §2), so it could not run the subs."""
    folder = tmp_path_factory.mktemp("stub")
    (folder / "xlwings_stub.bas").write_text(STUB, encoding="ascii")
    project = vba.build_vba_project([f"Sheet{i}" for i in range(1, sheet_count(xlsm) + 1)],
                                    [*MACROS, folder / "xlwings_stub.bas"])
    out = folder / "QA_Master_stub.xlsm"
    with zipfile.ZipFile(xlsm) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = project if info.filename == "xl/vbaProject.bin" else zin.read(info)
            zout.writestr(info, data)
    return out


@pytest.fixture(scope="module")
def libreoffice(xlsm, stub_xlsm, tmp_path_factory) -> dict[str, dict]:
    """One LibreOffice start: inspect the real workbook, run every button of the stub one."""
    soffice()  # fails (not skips) on a machine without LibreOffice
    out = tmp_path_factory.mktemp("uno") / "uno.json"
    subprocess.run(["/usr/bin/python3", str(HERE / "uno_vba.py"), str(out), "--inspect",
                    str(xlsm), "--run", str(stub_xlsm)], check=True, timeout=300)
    found = json.loads(out.read_text(encoding="utf-8"))
    return {"real": found[str(xlsm)], "stub": found[str(stub_xlsm)]}


# ------------------------------------------------------------------------- the VBA project

def test_olevba_gives_back_every_module_source_unchanged(xlsm):
    parser = vba_parser(xlsm)
    codes = {name: code for _, _, name, code in parser.extract_macros()}
    for path in MACROS:
        source = path.read_bytes().decode("ascii")
        assert "\r" not in source.replace("\r\n", "")
        assert codes[path.stem + ".bas"] == source.replace("\r\n", "\n").replace("\n", "\r\n")
    xlwings_bas, dictionary = vba.xlwings_sources()
    assert codes["xlwings.bas"] == xlwings_bas.read_bytes().decode("ascii")  # CRLF already
    cls = dictionary.read_bytes().decode("ascii")
    body = cls[cls.index("Attribute VB_Description"):]
    assert codes["Dictionary.cls"].endswith(body)
    assert codes["Dictionary.cls"].startswith('Attribute VB_Name = "Dictionary"\r\n'
                                              f'Attribute VB_Base = "{vba.CLASS_BASE}"\r\n')
    documents = {n for n in codes if n.endswith(".cls")} - {"Dictionary.cls"}
    assert documents == {"ThisWorkbook.cls"} | {f"Sheet{i}.cls"
                                                for i in range(1, sheet_count(xlsm) + 1)}


def test_the_sources_are_plain_ascii_and_anything_else_is_refused(tmp_path):
    for path in [*MACROS, *vba.xlwings_sources()]:
        path.read_bytes().decode("ascii")
    bad = tmp_path / "Bad.bas"
    bad.write_bytes('Attribute VB_Name = "Bad"\n\' caf\xc3\xa9\n'.encode("latin-1"))
    with pytest.raises(UnusableInput, match="non-ASCII"):
        vba.build_vba_project(["Sheet1"], [bad])


def test_every_sheet_has_its_code_name_and_the_workbook_is_macro_enabled(xlsm):
    with zipfile.ZipFile(xlsm) as z:
        types = z.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "application/vnd.ms-office.vbaProject" in types
        assert 'codeName="ThisWorkbook"' in z.read("xl/workbook.xml").decode()
        for i in range(1, sheet_count(xlsm) + 1):
            assert f'codeName="Sheet{i}"' in z.read(f"xl/worksheets/sheet{i}.xml").decode()


def test_the_fast_match_search_compresses_exactly_like_ms_ovba(monkeypatch):
    """The faster longest-match search makes the same tokens as ms-ovba's own (with the copy
    token length fixed), so the compressed streams are ms-ovba's, only sooner."""
    from ms_ovba_compression.ms_ovba import MsOvba

    vba_parser(MACROS[0])  # the quiet import
    from oletools.olevba import decompress_stream

    sample = (MACROS[0].read_bytes() + vba.xlwings_sources()[0].read_bytes()[:6000]
              + b" " * 300 + b"ab" * 200)
    monkeypatch.setattr(MsOvba, "copytoken_help", staticmethod(vba.copytoken_help))
    assert vba.compress(sample) == MsOvba().compress(sample)
    assert decompress_stream(bytearray(vba.compress(sample))) == sample


def test_the_build_is_reproducible_and_leaves_no_scratch_files(tmp_path, monkeypatch, config):
    monkeypatch.chdir(tmp_path)
    a = vba.build_vba_project(["Sheet1", "Sheet2"])
    b = vba.build_vba_project(["Sheet1", "Sheet2"])
    assert a == b and list(tmp_path.iterdir()) == []
    one = new(tmp_path / "a.xlsm", config, secret=SECRET, workbook_id=WORKBOOK_ID)
    two = new(tmp_path / "b.xlsm", config, secret=SECRET, workbook_id=WORKBOOK_ID)
    assert one.read_bytes() == two.read_bytes()


def test_the_committed_workbook_is_up_to_date(tmp_path):
    rebuilt = template.rebuild_workbook(tmp_path / "QA_Master.xlsm")
    assert rebuilt.read_bytes() == template.WORKBOOK.read_bytes(), (
        "workbook/QA_Master.xlsm is out of date: run python -m qa_xl.vba --rebuild-workbook")


def test_the_template_holds_a_placeholder_secret_not_a_real_one():
    from qa_xl.workbook.filestore import FileStore
    from qa_xl.workbook.store import read_settings

    settings = read_settings(FileStore(template.WORKBOOK))
    assert settings["return_secret"] == template.TEMPLATE_SECRET
    assert settings["workbook_id"] == template.TEMPLATE_WORKBOOK_ID


# ------------------------------------------------------------------------------ the buttons

def vml_buttons(path: Path) -> list[dict[str, object]]:
    with zipfile.ZipFile(path) as z:
        (vml,) = [n for n in z.namelist() if n.startswith("xl/drawings/vmlDrawing")]
        text = z.read(vml).decode()
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert vml.rsplit("/", 1)[1] in rels  # on the first sheet, Start
    out = []
    for shape in re.findall(r"<v:shape .*?</v:shape>", text, re.S):
        out.append({
            "caption": re.search(r"<font[^>]*>(.*?)</font>", shape).group(1),
            "macro": re.search(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", shape).group(1),
            "anchor": [int(v) for v in re.search(r"<x:Anchor>(.*?)</x:Anchor>",
                                                 shape).group(1).split(",")],
        })
    return out


def test_each_button_is_bound_to_an_existing_sub_that_runs_its_function(xlsm):
    import importlib

    from qa_xl.excel import buttons as entry_points

    assert vba.PYTHON_MODULE == "qa_xl.xl"  # every workbook already built calls this name
    xl = importlib.import_module(vba.PYTHON_MODULE)
    found = {sub: command for path in MACROS for sub, command in subs(path).items()}
    buttons = vml_buttons(xlsm)
    assert [b["macro"] for b in buttons] == [b.sub for b in vba.BUTTONS]
    assert set(found) == {b.sub for b in vba.BUTTONS}  # no sub without its button
    for button in vba.BUTTONS:
        assert found[button.sub] == button.command
        assert getattr(xl, button.function) is getattr(entry_points, button.function)
    assert [b["caption"] for b in buttons] == ["Validate", "Roll up", "Issue returns",
                                               "Import returns", "Chase returns",
                                               "Build committee pack", "Build Board report",
                                               "Issue Section 11 forms",
                                               "Import Section 11 forms",
                                               "Issue Section 175/157 forms",
                                               "Import Section 175/157 forms"]


XML_SPECIAL = "&<>\"'"


def test_no_caption_holds_a_character_special_in_xml(xlsm):
    """XlsxWriter writes a caption into the drawing's XML as it is: an "&" there is escaped in
    the VML but not in the drawing LibreOffice writes when it re-saves the .xlsm."""
    for button in vba.BUTTONS:
        assert not set(button.caption) & set(XML_SPECIAL), button
    for caption in (b["caption"] for b in vml_buttons(xlsm)):
        assert not set(caption) & set(XML_SPECIAL + ";"), caption  # no &amp; either
    names = {"committee_short": "Q&PC", "board": "Board & <Partners> \"2\" 'x'"}
    board = next(b for b in vba.BUTTONS if b.sub == "BuildBoardReport")
    assert board.label(names) == "Build Board and Partners 2 x report"
    for button in vba.BUTTONS:
        assert not set(button.label(names)) & set(XML_SPECIAL), button


def test_the_buttons_leave_the_status_cells_uncovered(xlsm):
    for button in vml_buttons(xlsm):
        left_col, _, top_row, _, right_col, _, bottom_row, _ = button["anchor"]
        covers_c = left_col <= 2 <= right_col  # column C, 0-based
        covers_rows = top_row <= 16 and bottom_row >= 13  # rows 14-17, 0-based
        assert not (covers_c and covers_rows), button


@pytest.mark.libreoffice
def test_libreoffice_lists_the_modules_code_names_and_buttons(libreoffice, xlsm):
    seen = libreoffice["real"]
    modules = {name.split(".", 1)[1]: kind for name, kind in seen["modules"].items()
               if name.startswith("VBAProject.")}
    count = sheet_count(xlsm)
    assert modules == {"QAButtons": "normal", "xlwings": "normal", "Dictionary": "class",
                       "ThisWorkbook": "document",
                       **{f"Sheet{i}": "document" for i in range(1, count + 1)}}
    assert sorted(seen["code_names"].values()) == sorted(f"Sheet{i}" for i in range(1, count + 1))
    assert seen["code_names"]["Start"] == "Sheet1"
    bound = [(b["sheet"], b["label"], [e["code"] for e in b["events"]]) for b in seen["buttons"]]
    assert bound == [
        ("Start", b.label({"committee_short": "Q&PC", "board": "Board"}),
         [f"vnd.sun.star.script:VBAProject.QAButtons.{b.sub}?language=Basic&location=document"])
        for b in vba.BUTTONS]


@pytest.mark.libreoffice
def test_libreoffice_clicks_each_button_and_the_stub_records_its_command(libreoffice):
    runs = libreoffice["stub"]["runs"]
    assert runs == {
        f"vnd.sun.star.script:VBAProject.QAButtons.{b.sub}?language=Basic&location=document":
            b.command for b in vba.BUTTONS}


@pytest.mark.libreoffice
@pytest.mark.parametrize("button", [
    pytest.param(b, id=b.sub) for b in vba.BUTTONS])
def test_each_recorded_command_imports_and_runs_in_python(button, libreoffice, demo_master,
                                                         tmp_path, monkeypatch):
    key = f"vnd.sun.star.script:VBAProject.QAButtons.{button.sub}?language=Basic&location=document"
    command = libreoffice["stub"]["runs"][key]
    work = tmp_path / "beside_the_workbook"
    work.mkdir()
    monkeypatch.chdir(work)  # where a book with no local path saves returns and papers
    book = remote_book(demo_master)
    book.set_mock_caller()
    try:
        exec(command, {})  # exactly what RunPython hands to Python
    finally:
        del xw.Book._mock_caller
    status = [a for a in actions(book) if a["func"] == "setValues"
              and a["sheet_position"] == 0 and (a["start_row"], a["start_column"]) == (13, 2)]
    assert status, "no status written"
    action, _, result, _ = [row[0] for row in status[-1]["values"]]
    assert not result.startswith("Not done"), result
    assert action in {"Validate", "Roll up", "Issue returns", "Import returns",
                      "Chase returns", "Build pack", "Build Board report",
                      "Issue Section 11 self-assessment", "Import Section 11 self-assessment",
                      "Issue Section 175/157 safeguarding audit",
                      "Import Section 175/157 safeguarding audit"}


# ----------------------------------------------------------------- headless writes keep it

def test_a_headless_write_keeps_the_vba_project_and_the_buttons(xlsm, tmp_path):
    path = tmp_path / "QA_Master.xlsm"
    shutil.copyfile(xlsm, path)
    with zipfile.ZipFile(path) as z:
        before = {n: z.read(n) for n in z.namelist()}
    validate(path, write=True)
    rollup(path)
    returns = issue_returns(path, "2026-27 Q1", tmp_path / "returns", ["police"])
    fill_return(returns[0], {(row[0], row[1]): (
        {"numerator": 1, "denominator": 2} if row[4] == "Percentage" else {"value": 1})
        | {"commentary": "Checked."} for row in CalamineWorkbook.from_path(
                                 str(returns[0]), load_tables=True).get_table_by_name(
                                 "tblReturn").to_python()}, "Lead", dt.date(2026, 7, 1))
    assert import_returns(path, returns).exit_code == 0  # a headless import into the .xlsm
    with zipfile.ZipFile(path) as z:
        after = {n: z.read(n) for n in z.namelist()}
    assert set(after) == set(before)
    keep = ["xl/vbaProject.bin", "[Content_Types].xml", "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels", "xl/worksheets/_rels/sheet1.xml.rels",
            *[n for n in before if n.startswith("xl/drawings/")]]
    for name in keep:
        assert after[name] == before[name], name
    start = after["xl/worksheets/sheet1.xml"].decode()
    assert start != before["xl/worksheets/sheet1.xml"].decode()  # the status cells changed
    assert '<legacyDrawing r:id="rId1"/>' in start and 'codeName="Sheet1"' in start
    assert [b["macro"] for b in vml_buttons(path)] == [b.sub for b in vba.BUTTONS]


def test_the_xlwings_conf_beside_the_workbook_names_the_worksheet_functions():
    """xlwings reads xlwings.conf beside the workbook: its UDF Modules must import."""
    import importlib

    conf = (vba.macros_dir() / "xlwings.conf").read_bytes()
    assert (template.WORKBOOK.parent / "xlwings.conf").read_bytes() == conf
    (key, module), = re.findall(rb'^"([^"]+)","([^"]+)"\r$', conf, re.M)
    assert key == b"UDF MODULES"
    udfs = importlib.import_module(module.decode())
    assert all(callable(getattr(udfs, f)) for f in ("QA_RAG", "QA_RISK_SCORE", "QA_NEXT_DUE"))
