"""Every button's calls into Excel, reads included, bounded at any size (issue 14, item 6).

Each call an entry point makes into the xlwings engine is a COM or AppleScript round trip on
desktop Excel. :func:`xl_calls.counting` wraps every method and property of the remote
engine's implementation classes and counts them, while each button runs on a demo master of
10 and of 200 partners: at most ``LIMIT`` calls either way, and (what makes that hold at any
size) no more at 200 partners than at 10 but for the few tables a button writes. The one
exception, pinned at its floor below: the Import button taking a whole quarter, a few calls
for each return (each partner's return is its own table on its own sheet).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import xlwings as xw

from qa_xl import xl
from qa_xl.collect.importing import import_returns
from qa_xl.example import demo
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table
from xl_calls import counting
from xl_remote import actions, remote_book

LIMIT = 60  # calls into Excel per button press, at any size
SIZES = (10, 200)
IMPORTED = 5  # returns the Import button takes in, at either size


@pytest.fixture(autouse=True)
def _no_mock_caller():
    yield
    if hasattr(xw.Book, "_mock_caller"):
        del xw.Book._mock_caller


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n}_partners")
def _sized(request, tmp_path_factory) -> tuple[Path, object]:
    directory = tmp_path_factory.mktemp(f"demo{request.param}")
    result = demo(directory, partners=request.param, quarters=4, seed=7)
    return result.workbook, result


@pytest.fixture
def sized(_sized, tmp_path) -> tuple[Path, object]:
    """A fresh copy of the sized demo master, named as the book Excel would name it."""
    path = tmp_path / "QA_Master.xlsx"
    shutil.copyfile(_sized[0], path)
    return path, _sized[1]


def press(path: Path, button, **kwargs) -> tuple[dict, dict, xw.Book]:
    """Run one button on the master as Excel's calling book (saved on this disk); the
    calls it made into the engine, by member, and its outcome."""
    book = remote_book(path, name=str(path))
    with counting() as calls:
        outcome = button(book, **kwargs)
    return outcome, dict(calls), book


def _set_config(path: Path, values: dict[str, object]) -> None:
    store = FileStore(path)
    config = read_table(store, S.CONFIG).df
    for key, value in values.items():
        config.loc[config["key"] == key, "value"] = value
    store.write({S.CONFIG.table: config})


BUTTONS = {
    "validate": xl.validate,
    "rollup": xl.rollup,
    "issue_returns": xl.issue_returns,
    "build_pack": xl.build_pack,
    "build_board_report": xl.build_board_report,
}


@pytest.mark.parametrize("name", list(BUTTONS))
def test_a_button_makes_few_calls_into_excel_at_any_size(name, sized, tmp_path, monkeypatch):
    path, _ = sized
    monkeypatch.chdir(tmp_path)
    if name == "issue_returns":
        _set_config(path, {"returns_folder": str(tmp_path / "issued")})
    outcome, calls, _book = press(path, BUTTONS[name])
    assert outcome["result"] != "error", outcome
    total = sum(calls.values())
    print(f"\n{name}: {total} calls", sorted(calls.items(), key=lambda kv: -kv[1])[:12])
    assert total <= LIMIT, sorted(calls.items(), key=lambda kv: -kv[1])


def test_import_makes_few_calls_into_excel_at_any_size(sized, tmp_path):
    path, result = sized
    folder = tmp_path / "completed"
    folder.mkdir()
    for file in result.files[:IMPORTED]:
        shutil.copyfile(file, folder / file.name)
    _set_config(path, {"returns_folder": str(folder)})
    FileStore(path).write({S.IMPORT_LOG.table: S.empty_frame(S.IMPORT_LOG)})
    by_library = tmp_path / "by_library.xlsx"
    shutil.copyfile(path, by_library)
    report = import_returns(by_library, sorted(folder.iterdir()))
    accepted = sum(r.accepted for r in report.results)
    assert accepted  # some are refused (a demo partner left its return empty): an alert too

    outcome, calls, book = press(path, xl.import_returns)

    assert outcome["result"] == f"{accepted} of {IMPORTED} returns imported", outcome
    assert bool([a for a in actions(book) if a["func"] == "alert"]) == (accepted < IMPORTED)
    total = sum(calls.values())
    print(f"\nimport_returns: {total} calls", sorted(calls.items(), key=lambda kv: -kv[1])[:12])
    assert total <= LIMIT, sorted(calls.items(), key=lambda kv: -kv[1])


def test_chase_drafts_reminders_records_them_and_makes_few_calls(sized, tmp_path):
    """The Chase button on the open book: the drafts the library would write for the current
    period, beside the workbook; each reminder in the tracker; nothing sent."""
    from email import policy
    from email.parser import BytesParser

    from qa_xl.collect.chase import chase_returns
    from qa_xl.core.periods import Period

    path, _ = sized
    # Every return of the current period is now past its deadline.
    _set_config(path, {"return_deadline_days": 0, "mail_from": "QA team <qa@example.gov.uk>"})
    by_library = tmp_path / "library" / "QA_Master.xlsx"
    by_library.parent.mkdir()
    shutil.copyfile(path, by_library)
    expected = chase_returns(by_library, out_dir=tmp_path / "library_drafts")
    drafted = {r.partner_id for r in expected.reminders if r.draft}
    assert drafted  # the demo leaves some returns missing
    period = Period.parse(expected.period)

    outcome, calls, book = press(path, xl.chase_returns)

    folder = path.parent / "reminders" / period.file_part
    assert outcome["output"] == str(folder)
    assert outcome["result"] == f"{len(drafted)} reminder{'s' * (len(drafted) != 1)} drafted " \
                                f"for {expected.period}"
    drafts = {p.name: BytesParser(policy=policy.default).parsebytes(p.read_bytes())
              for p in folder.glob("*.eml")}
    assert set(drafts) == {p.name for p in (tmp_path / "library_drafts").glob("*.eml")}
    for message in drafts.values():
        assert message["X-Unsent"] == "1" and message["From"] == "QA team <qa@example.gov.uk>"
        assert [a.get_filename() for a in message.iter_attachments()]  # the issued return
    # The tracker, written once, has today's reminder on each chased return's row.
    header = FileStore(path).header(S.RETURNS_TRACKER.table)
    returns_sheet = [s.name for s in book.sheets].index(S.RETURNS_TRACKER.sheet)
    (written,) = [a for a in actions(book) if a["func"] == "setValues"
                  and a["sheet_position"] == returns_sheet]
    at = {name: header.index(name) for name in ("partner_id", "period", "reminded_on")}
    reminded = {row[at["partner_id"]] for row in written["values"]
                if row[at["period"]] == expected.period and row[at["reminded_on"]]}
    assert reminded >= drafted
    before = read_table(FileStore(path), S.RETURNS_TRACKER).df
    already = set(before.loc[before["reminded_on"].notna() & (before["period"] ==
                                                               expected.period), "partner_id"])
    assert reminded == drafted | already
    start = [a for a in actions(book) if a["func"] == "setValues" and a["sheet_position"] == 0]
    assert start and start[-1]["values"][0][0] == "Chase returns"
    total = sum(calls.values())
    print(f"\nchase_returns: {total} calls", sorted(calls.items(), key=lambda kv: -kv[1])[:12])
    assert total <= LIMIT, sorted(calls.items(), key=lambda kv: -kv[1])


# A whole quarter through the Import button: one sheet per partner (the spec's contract), so
# each accepted return is its own table written on its own sheet through the object model.
# The floor (calls a return): the sheet (1), then only when the table grows or shrinks its
# object (2: the sheet's tables, the table) and its new extent (2: the range, resize), then
# the rows (2: the range, its values) -- 3 a return re-imported, 7 a return new to the master.
# The 60-call goal is NOT met for a whole quarter (issue 14 item 6): LibreOffice, the only
# spreadsheet here that runs VBA, has no ListObjects, so a batch VBA writer could not be
# tested (README, "What a button costs").
PER_RETURN = {"reimported": 3, "new": 7}
FIXED = 30  # reads, the import log, the tracker, the status cells, the alert


def _whole_quarter(path: Path, result, tmp_path: Path, kind: str) -> Path:
    """Every return of the demo's last quarter in the returns folder; for ``new`` the master
    first loses that quarter's rows, so each partner's table grows by a quarter."""
    folder = tmp_path / "quarter"
    folder.mkdir()
    for file in result.files:
        shutil.copyfile(file, folder / file.name)
    _set_config(path, {"returns_folder": str(folder)})
    store = FileStore(path)
    changes = {S.IMPORT_LOG.table: S.empty_frame(S.IMPORT_LOG)}
    if kind == "new":
        last = result.periods[-1]
        for name in store.table_names():
            if name.startswith("tblReturn_"):
                df = read_table(store, S.schema_for(name)).df
                changes[name] = df[df["period"] != last].reset_index(drop=True)
    store.write(changes)
    return folder


@pytest.mark.parametrize("kind", list(PER_RETURN))
def test_a_whole_quarter_costs_a_few_calls_a_return(kind, sized, tmp_path):
    path, result = sized
    _whole_quarter(path, result, tmp_path, kind)

    outcome, calls, book = press(path, xl.import_returns)

    accepted = int(outcome["result"].split(" of ")[0])
    assert outcome["result"] == f"{accepted} of {len(result.files)} returns imported", outcome
    assert accepted >= 0.7 * result.partners  # the demo leaves a few returns out or refused
    names = [s.name for s in book.sheets]
    written = {names[a["sheet_position"]] for a in actions(book) if a["func"] == "setValues"}
    assert len({n for n in written if n.startswith("Return_")}) == accepted  # each, once
    total = sum(calls.values())
    print(f"\nwhole quarter, {kind}: {accepted} returns, {total} calls "
          f"({(total - FIXED) / accepted:.2f} a return beyond {FIXED})",
          sorted(calls.items(), key=lambda kv: -kv[1])[:12])
    # Each partner's sheet is looked up once, with one collection of sheets for the run.
    assert calls.get("Book.sheets", 0) <= 2
    assert accepted <= calls["Sheets.__call__"] <= accepted + 4
    resized = calls.get("Table.resize", 0)
    assert (resized >= accepted) if kind == "new" else (resized <= 2)
    assert total <= FIXED + PER_RETURN[kind] * accepted, sorted(calls.items(),
                                                                key=lambda kv: -kv[1])
