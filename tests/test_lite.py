"""The buttons in xlwings Lite: xl_macros/lite/main.py run as Lite runs it, where Pyodide runs.

Each script runs in a fresh interpreter made as limited as Pyodide (tests/pyodide_like: no
fork, subprocess, multiprocessing, threads or sockets; python-calamine, typer, rich, click and
ms-ovba cannot be imported) on xlwings' remote-engine Book of a demo workbook — the object
model Lite hands a script (tests/lite_run.py). What it asks Excel to do must be exactly what
the same button does through qa_xl.xl in this (unrestricted) process on the same workbook,
and the files it writes must land in the Config sheet's files_folder.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa_xl import xl
from qa_xl.workbook import schema as S, xlsxread
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table
from qa_xl.workbook.vba import BUTTONS
from xl_remote import actions, remote_book

TESTS = Path(__file__).resolve().parent
MAIN = TESTS.parent / "xl_macros" / "lite" / "main.py"
SANDBOX = TESTS / "pyodide_like"
NEVER = {"typer", "rich", "click", "ms_ovba", "ms_ovba_compression", "ms_ovba_crypto"}
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?")


def sandboxed(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SANDBOX), "XLWINGS_LICENSE_KEY": "noncommercial"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=600)


def run_lite(workbook: Path, script: str, tmp: Path) -> dict:
    out = tmp / f"{script}.json"
    done = sandboxed(str(TESTS / "lite_run.py"), str(workbook), script, str(out), cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def normal(acts: list[dict], folder: Path) -> str:
    """The actions as text, the files folder and the clock's times written out of them."""
    text = json.dumps(acts, default=str, sort_keys=True).replace(str(folder), "<FILES>")
    return TIME.sub("<TIME>", text)


def set_config(path: Path, **settings: object) -> None:
    store = FileStore(path)
    config = read_table(store, S.CONFIG).df
    for key, value in settings.items():
        if (config["key"] == key).any():
            config.loc[config["key"] == key, "value"] = value
        else:  # a master made before the setting existed
            config.loc[len(config)] = {**dict.fromkeys(config.columns), "key": key,
                                       "value": value}
    store.write({S.CONFIG.table: config})


@pytest.fixture
def two_masters(demo_master, _demo_template, tmp_path):
    """The same demo workbook twice, each with its own files folder holding the same three
    completed returns: one for Lite's run, one for the desktop path's."""
    # The demo imported these very files: forget that, so that they import again.
    FileStore(demo_master).write({S.IMPORT_LOG.table: S.empty_frame(S.IMPORT_LOG)})
    made = {}
    for who in ("lite", "xl"):
        folder = tmp_path / f"{who}_files"
        folder.mkdir()
        for file in _demo_template[1].files[:3]:
            shutil.copyfile(file, folder / file.name)
        path = tmp_path / who / "QA_Master.xlsx"
        path.parent.mkdir()
        shutil.copyfile(demo_master, path)
        set_config(path, files_folder=str(folder))
        made[who] = (path, folder)
    return made


SCRIPTS = [b.function for b in BUTTONS]


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_lite_script_does_what_its_button_does(two_masters, tmp_path, script):
    (lite_book, lite_files), (xl_book, xl_files) = two_masters["lite"], two_masters["xl"]

    ran = run_lite(lite_book, script, tmp_path)
    book = remote_book(xl_book, "QA_Master.xlsx")
    outcome = getattr(xl, script)(book)

    assert ran["sandboxed"]
    assert outcome["result"] != "error", outcome
    assert normal(ran["actions"], lite_files) == normal(actions(book), xl_files)
    assert ran["printed"].strip().startswith(outcome["action"])
    # Nothing the sandbox refuses was needed; python-calamine was tried and openpyxl read.
    assert set(ran["attempts"]) <= {"python_calamine"}
    assert not {m.partition(".")[0] for m in ran["modules"]} & NEVER
    assert "python_calamine" not in {m.partition(".")[0] for m in ran["modules"]}
    lite_made = sorted(p.relative_to(lite_files) for p in lite_files.rglob("*") if p.is_file())
    xl_made = sorted(p.relative_to(xl_files) for p in xl_files.rglob("*") if p.is_file())
    assert lite_made == xl_made
    if script == "import_returns":
        assert ran["reader"] == "openpyxl"
        assert outcome["result"] == "3 of 3 returns imported"
    if script in ("build_pack", "build_board_report"):
        paper = Path(outcome["output"])
        assert paper.parent == xl_files and paper.suffix == ".docx"
        assert (lite_files / paper.name).stat().st_size > 10_000
    if script == "issue_returns":
        assert len(list((lite_files / "returns").rglob("*.xlsx"))) >= 9


def test_the_sandbox_is_as_limited_as_pyodide(tmp_path):
    """If the sandbox let any of these through, the test above would prove nothing."""
    probe = """
import os, subprocess, threading, multiprocessing, socket, importlib, json
out = {}
def tried(name, f):
    try:
        f(); out[name] = "ran"
    except Exception as exc:
        out[name] = type(exc).__name__
tried("fork", os.fork)
tried("subprocess", lambda: subprocess.run(["true"]))
tried("thread", lambda: threading.Thread(target=print).start())
tried("pool", lambda: multiprocessing.get_context("fork").Pool(1))
tried("process", lambda: multiprocessing.Process(target=print).start())
tried("socket", lambda: socket.socket())
for name in ("python_calamine", "typer", "rich", "ms_ovba", "click"):
    tried(name, lambda: importlib.import_module(name))
tried("pandas", lambda: importlib.import_module("pandas"))
print(json.dumps(out))
"""
    done = sandboxed("-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out.pop("pandas") == "ran"
    assert out.pop("thread") == "RuntimeError"
    for name in ("python_calamine", "typer", "rich", "ms_ovba", "click"):
        assert out.pop(name) == "ModuleNotFoundError"
    assert set(out.values()) == {"OSError"}, out


def test_many_returns_are_read_in_process_where_no_worker_can_start(_demo_template, tmp_path):
    """Above PARALLEL_FROM files an import reads in a forked worker; where fork raises (the
    sandbox, Pyodide) the same files are read in this process, by openpyxl."""
    files = [str(f) for f in _demo_template[1].files]
    probe = f"""
import json, sys
from pathlib import Path
from qa_xl.collect import importing
from qa_xl.workbook import xlsxread
paths = [Path(p) for p in {files!r}] * (importing.PARALLEL_FROM // {len(files)} + 1)
reads = importing._start_reading(paths)()
print(json.dumps([xlsxread.ENGINE, len(paths), len(reads),
                  sorted({{str(r.path) for r in reads if r.problems}}),
                  sorted({{r.meta.get("partner_id", "") for r in reads}})]))
"""
    done = sandboxed("-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    engine, asked, read, problems, partners = json.loads(done.stdout)
    assert engine == "openpyxl" and asked == read >= 24 and not problems
    assert len(partners) == len(files)


def test_both_readers_give_the_same_values_and_tables(_demo_template):
    """openpyxl stands in for python-calamine behind the same function: every sheet's values
    (types too) and every table of the demo master and its returns are the same."""
    def typed(rows):
        return [[(type(v).__name__, v) for v in row] for row in rows]

    for path in [_demo_template[0], *_demo_template[1].files]:
        a = xlsxread.open_path(path, engine="calamine")
        b = xlsxread.open_path(path, engine="openpyxl")
        assert list(a.sheet_names) == b.sheet_names
        assert sorted(a.table_names) == sorted(b.table_names)
        for name in a.sheet_names:
            sa, sb = a.get_sheet_by_name(name), b.get_sheet_by_name(name)
            for skip in (True, False):
                assert typed(sa.to_python(skip_empty_area=skip)) == typed(
                    sb.to_python(skip_empty_area=skip)), (path.name, name)
            assert sorted(sa.merged_cell_ranges or []) == sorted(sb.merged_cell_ranges)
        for name in a.table_names:
            ta, tb = a.get_table_by_name(name), b.get_table_by_name(name)
            assert (ta.sheet, list(ta.columns), ta.start, ta.height, ta.width) == (
                tb.sheet, tb.columns, tb.start, tb.height, tb.width)
            assert typed(ta.to_python() if ta.height else []) == typed(tb.to_python())


def test_a_damaged_file_is_a_read_error_with_either_reader(tmp_path):
    for engine in ("calamine", "openpyxl"):
        with pytest.raises(xlsxread.READ_ERRORS):
            xlsxread.open_book(b"PK\x03\x04 not a workbook", engine=engine)


def test_main_py_has_one_script_per_button_each_calling_its_entry_point():
    """The Lite scripts are the VBA buttons' functions, nothing written twice: each @script
    is named as a button's function and its body calls only xl.<that function>(book)."""
    tree = ast.parse(MAIN.read_text(encoding="utf-8"))
    scripts = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
                getattr(d, "id", None) == "script" for d in node.decorator_list):
            calls = [c for c in ast.walk(node) if isinstance(c, ast.Call)
                     and isinstance(c.func, ast.Attribute)
                     and getattr(c.func.value, "id", None) == "xl"]
            scripts[node.name] = [c.func.attr for c in calls]
            assert node.args.args[0].annotation is not None  # book: xw.Book, as Lite wants
            assert ast.get_docstring(node)  # App Mode shows it under the button
    assert scripts == {name: [name] for name in SCRIPTS}
    for name in SCRIPTS:
        assert callable(getattr(xl, name))


def test_what_lite_installs_is_what_pyodide_has_or_pure_python():
    """In Pyodide (sys_platform emscripten) qa_xl's wheel asks for nothing compiled that
    Pyodide lacks, nor the packages the scripts must not load; requirements.txt names every
    package it does ask for."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())["project"]
    env = {"sys_platform": "emscripten", "platform_system": "Emscripten", "extra": ""}
    wanted = {Requirement(r).name.lower() for r in project["dependencies"]
              if Requirement(r).marker is None or Requirement(r).marker.evaluate(env)}
    assert not wanted & {"python-calamine", "typer", "rich", "xlwings", "keyring", "ms-ovba",
                         "ms-ovba-compression", "ms-ovba-crypto"}
    lines = [line.partition("#")[0].strip()
             for line in (MAIN.parent / "requirements.txt").read_text().splitlines()]
    listed = {Requirement(line).name.lower() for line in lines
              if line and not line.startswith("https://")}
    assert {"xlwings", "python-dotenv", "pyodide-http", "black"} <= listed  # Lite's own
    assert wanted <= listed, wanted - listed
    assert [line for line in lines if line.startswith("https://")] == [
        f"https://YOUR-SERVER/qa_xl-{project['version']}-py3-none-any.whl"]


# ---------------------------------------------------------------- the workbook carries them

def test_qa_xl_new_lite_writes_a_macro_free_master_with_the_scripts_in_it(tmp_path):
    import zipfile

    from lxml import etree

    from qa_xl.workbook import lite
    from qa_xl.workbook.xlsxparts import write_workbook

    path = tmp_path / "QA_Master.xlsx"
    done = subprocess.run([sys.executable, "-m", "qa_xl.cli", "new", "--lite", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    # What Lite's editor will show: the two files, character for character.
    assert lite.lite_files(path) == {
        "main.py": MAIN.read_text(encoding="utf-8"),
        "requirements.txt": (MAIN.parent / "requirements.txt").read_text(encoding="utf-8")}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        assert not any("vba" in n.lower() for n in names)  # no macros
        types = etree.fromstring(z.read("[Content_Types].xml"))
        overrides = {o.get("PartName"): o.get("ContentType") for o in types}
        assert overrides["/xl/webextensions/webextension1.xml"] == (
            "application/vnd.ms-office.webextension+xml")
        rels = etree.fromstring(z.read("_rels/.rels"))
        assert [r.get("Target") for r in rels if r.get("Type") == lite.TASKPANES_REL] == [
            lite.TASKPANES]
        assert len({r.get("Id") for r in rels}) == len(rels)
        ext = etree.fromstring(z.read(lite.WEBEXT))
        ids = [r.get("id").upper() for r in ext.iter(f"{{{lite.WE}}}reference")]
        assert ids == [lite.STORE_ID, lite.STORE_ID]
    # Excel's other readers open it, and a headless job keeps Lite's parts byte for byte.
    book = openpyxl_load(path)
    paths = book["Start"]["B11"].value  # the line above "Last run": which buttons are where
    assert "QA_Master.xlsm" in paths and "xlwings Lite" in paths and "files_folder" in paths
    assert book["Start"]["B12"].value == "Last run"
    before = {n: zipfile.ZipFile(path).read(n) for n in names if "webextension" in n}
    write_workbook(path, cells={"Start": {"C14": "x"}}, backup=False)
    with zipfile.ZipFile(path) as z:
        assert {n: z.read(n) for n in before} == before
    assert lite.lite_files(path)["main.py"] == MAIN.read_text(encoding="utf-8")


def openpyxl_load(path: Path):
    import openpyxl

    return openpyxl.load_workbook(path)


def test_lite_wants_an_xlsx(tmp_path):
    done = subprocess.run([sys.executable, "-m", "qa_xl.cli", "new", "--lite",
                           str(tmp_path / "QA_Master.xlsm")], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2 and "xlsx" in done.stdout + done.stderr
    assert not (tmp_path / "QA_Master.xlsm").exists()


def test_libreoffice_opens_the_lite_master(tmp_path):
    import openpyxl

    from libreoffice import convert
    from qa_xl.framework import load_config
    from qa_xl.workbook.build import new

    path = new(tmp_path / "QA_Master.xlsx", load_config(), lite=True)
    out = convert(path, "xlsx", tmp_path / "lo")
    assert "Start" in openpyxl.load_workbook(out).sheetnames


def test_without_a_files_folder_a_book_with_no_folder_uses_lites_data(demo_master, tmp_path,
                                                                     monkeypatch):
    """Lite's book has a name, not a path: with files_folder blank the papers and returns go
    to Lite's /data (its Import/Export list), and completed returns are imported from it."""
    from qa_xl.excel import buttons

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setattr(buttons, "LITE_DATA", data)
    monkeypatch.chdir(tmp_path)
    outcome = xl.build_pack(remote_book(demo_master, "QA_Master.xlsx"))
    assert Path(outcome["output"]).parent == data and Path(outcome["output"]).exists()
    outcome = xl.issue_returns(remote_book(demo_master, "QA_Master.xlsx"))
    assert Path(outcome["output"]).parent == data / "returns"  # returns/<period>
    outcome = xl.import_returns(remote_book(demo_master, "QA_Master.xlsx"))
    assert outcome["result"] == "No files chosen: nothing imported"  # none in /data itself
    assert not list(tmp_path.glob("*.docx"))  # nothing beside the current folder
