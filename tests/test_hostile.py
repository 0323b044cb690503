"""Broken and hostile inputs: a clear message naming the file (sheet, cell), exit 1 or 2,
and the workbook's bytes exactly as they were. Never a traceback."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from qa_xl.cli import main


def run(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    captured = capsys.readouterr()
    return exit_.value.code, captured.out + captured.err


def edited(master: Path, change) -> bytes:
    """Change the master with openpyxl, as an officer's Excel would, and return its bytes."""
    book = openpyxl.load_workbook(master)
    change(book)
    book.save(master)
    return master.read_bytes()


def test_not_a_workbook(tmp_path, capsys):
    path = tmp_path / "QA_Master.xlsx"
    path.write_text("name,value\nx,1\n")
    before = path.read_bytes()
    code, text = run(capsys, "validate", str(path))
    assert code == 2
    assert "QA_Master.xlsx" in text and "not a valid Excel workbook" in text
    assert "Traceback" not in text and path.read_bytes() == before


def test_wrong_file_type_and_missing_file(tmp_path, capsys):
    csv = tmp_path / "returns.csv"
    csv.write_text("a,b\n")
    code, text = run(capsys, "validate", str(csv))
    assert code == 2 and "returns.csv" in text and ".xlsx" in text
    code, text = run(capsys, "validate", str(tmp_path / "nope.xlsx"))
    assert code == 2 and "does not exist" in text


def test_truncated_workbook(master, capsys):
    data = master.read_bytes()[:5000]
    master.write_bytes(data)
    code, text = run(capsys, "validate", str(master))
    assert code == 2 and "QA_Master.xlsx" in text
    assert master.read_bytes() == data


def test_renamed_sheet(master, capsys):
    before = edited(master, lambda b: setattr(b["Risks"], "title", "Risk register"))
    code, text = run(capsys, "validate", str(master))
    assert code == 1
    assert "Risk register" in text and "'Risks'" in text
    assert master.read_bytes() == before


def test_missing_column(master, capsys):
    def rename_header(book):
        ws = book["Risks"]
        table = ws.tables["tblRisks"]
        table.tableColumns[4].name = "impact_score"
        ws["E3"] = "impact_score"

    before = edited(master, rename_header)
    code, text = run(capsys, "validate", str(master))
    assert code == 2
    assert "QA_Master.xlsx" in text and "Risks" in text and "'impact'" in text
    assert master.read_bytes() == before


def test_missing_table(master, capsys):
    before = edited(master, lambda b: b.remove(b["Voice"]))
    code, text = run(capsys, "validate", str(master))
    assert code == 2 and "tblVoice" in text and "backups" in text
    assert master.read_bytes() == before


def test_text_in_a_number_column(master, capsys):
    def add_risk(book):
        ws = book["Risks"]
        for col, value in zip("ABCDEFGHIJKL", ["R01", "Late returns", "Manager", "high", 4,
                                               None, None, None, "", "", None, "Open"]):
            ws[f"{col}4"] = value

    before = edited(master, add_risk)
    code, text = run(capsys, "validate", str(master))
    assert code == 1
    assert "Risks!D4" in text and "whole number" in text
    assert master.read_bytes() == before


def test_merged_cells(master, capsys):
    def merge(book):
        ws = book["Actions"]
        ws["A4"] = "A001"
        ws.merge_cells("B4:C5")

    before = edited(master, merge)
    code, text = run(capsys, "validate", str(master))
    assert code == 1 and "B4:C5" in text and "merged" in text
    assert master.read_bytes() == before


def test_locked_by_excel(master, capsys):
    owner = master.with_name("~$" + master.name)
    owner.write_bytes(b"\x00" * 165)
    before = master.read_bytes()
    code, text = run(capsys, "validate", str(master), "--write")
    assert code == 2 and "close the workbook in Excel" in text
    assert master.read_bytes() == before


def test_entity_expansion_is_not_followed(master, capsys):
    """A 'billion laughs' document type in a sheet: refused or ignored, never expanded."""
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1
                                                   else b"&lol;" * 10) for i in range(1, 10))
            + b"]>")
    src = zipfile.ZipFile(master)
    parts = {n: src.read(n) for n in src.namelist()}
    src.close()
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet] = bomb + parts[sheet].split(b"?>", 1)[1]
    with zipfile.ZipFile(master, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    before = master.read_bytes()
    code, text = run(capsys, "validate", str(master))
    assert code in (0, 1, 2) and "Traceback" not in text
    assert master.read_bytes() == before


def test_bad_configuration_file(tmp_path, capsys):
    bad = tmp_path / "my.toml"
    bad.write_text('[[partners]]\npartner_id = "North Health"\nname = "x"\nsector = "Health"\n')
    code, text = run(capsys, "new", str(tmp_path / "m.xlsx"), "--config", str(bad))
    assert code == 2 and "my.toml" in text and "partner_id" in text
    assert not (tmp_path / "m.xlsx").exists()


def test_no_traceback_from_the_installed_command(tmp_path):
    path = tmp_path / "QA_Master.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    proc = subprocess.run([sys.executable, "-m", "qa_xl.cli", "validate", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "QA_Master.xlsx" in proc.stderr


def test_installed_command_exit_statuses_and_complete_output(demo_master, tmp_path):
    """The console script ends the process without the interpreter's tear-down (cli.run):
    its exit status must still be the command's, and everything it printed must arrive,
    also through a pipe."""
    command = [sys.executable, "-m", "qa_xl.cli"]
    done = subprocess.run([*command, "rollup", str(demo_master)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "rolled up" in done.stdout and done.stdout.endswith("\n")

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    unusable = subprocess.run([*command, "rollup", str(bad)], capture_output=True, text=True)
    assert unusable.returncode == 2 and "bad.xlsx" in unusable.stderr

    usage = subprocess.run([*command, "rollup"], capture_output=True, text=True)
    assert usage.returncode == 2 and "Missing argument" in usage.stderr

    listing = subprocess.run([*command, "validate", str(demo_master), "--json"],
                             capture_output=True, text=True)
    assert listing.returncode in (0, 1)
    assert listing.stdout.rstrip().endswith("]")  # the whole JSON document arrived
