"""The small things a new user tripped over: one period parser, plain answers for a bad date,
a folder, an open workbook (naming the program and the person), plurals, configuration."""

from __future__ import annotations

import re

import pytest

from qa_xl.cli import main
from qa_xl.core.words import plural
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table


def run(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out = capsys.readouterr()
    return exit_.value.code, (out.out + out.err).replace("\n", " ")


@pytest.mark.parametrize("typed", ["2026-27 Q1", "2026/27 Q1", "2026-27 q1", "2026-2027 Q1"])
def test_returns_issue_takes_a_period_as_pack_does(master, tmp_path, capsys, typed):
    code, text = run(["returns", "issue", str(master), "--period", typed, "--out",
                      str(tmp_path / "out"), "--partner", "police"], capsys)
    assert code == 0 and "issued for 2026-27 Q1" in text, text
    assert (tmp_path / "out" / "police_2026-27_Q1.xlsx").exists()


def test_a_bad_today_is_a_plain_answer(demo_master, capsys):
    code, text = run(["pack", str(demo_master), "--today", "31/31/2026"], capsys)
    assert code == 2 and "'31/31/2026' is not a date" in text and "day/month/year" in text
    assert "%Y" not in text


def test_a_folder_given_to_validate_is_called_a_folder(tmp_path, capsys):
    code, text = run(["validate", str(tmp_path)], capsys)
    assert code == 2 and "is a folder, not a workbook" in text
    assert "without an extension" not in text


@pytest.mark.parametrize(("owner", "content", "program", "who"), [
    (".~lock.{}#", ",Jane Smith,PC-QA-07,02.12.2026 10:14,file:///C:/QA/;", "LibreOffice",
     "Jane Smith"),
    ("~${}", bytes([9]) + b"Sam Patel" + b" " * 45, "Excel", "Sam Patel"),
])
def test_the_lock_message_names_the_program_and_who(master, capsys, owner, content, program,
                                                    who):
    lock = master.with_name(owner.format(master.name))
    lock.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, text = run(["validate", str(master)], capsys)
    assert code == 2 and f"open in {program} by {who}" in text, text
    assert f"close the workbook in {program}" in text


def test_a_bad_current_period_is_bad_configuration(master, capsys):
    from qa_xl.workbook.xlsxparts import write_workbook

    config = read_table(FileStore(master), S.CONFIG).df
    row = config.index[config["key"] == "current_period"][0]
    write_workbook(master, cells={"Config": {f"B{row}": "next quarter"}}, backup=False)
    code, text = run(["rollup", str(master)], capsys)
    assert code == 2 and "current_period" in text


def test_plurals():
    assert plural(1, "period") == "1 period" and plural(2, "period") == "2 periods"
    assert plural(1, "activity", "activities") == "1 activity"


def test_the_roll_up_says_1_period_not_1_periods(master, capsys, tmp_path):
    code, text = run(["rollup", str(master)], capsys)
    assert code == 0
    assert not re.search(r"\b1 (periods|indicators)\b", text), text
