"""Hostile tests of "nothing lost, ever", with real processes: concurrent writers on one master,
``kill -9`` at every point of a save, a disk that fills up, doctored and replayed returns, and
the record of refused imports across a killed run.

Every command here runs as its own ``python -m qa_xl.cli`` process, as an officer's would, so
the lock is the operating system's and a kill is a real ``SIGKILL`` (core/faults.py's points,
asked for through ``QA_XL_FAULT``). Nothing is timed: a process that has to wait is told to
wait long enough (``QA_XL_LOCK_WAIT``), and what is checked is the end state — the master
byte for byte as it was, or wholly the new version, every accepted return's rows exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.core.errors import UnusableInput
from qa_xl.core.faults import SAVE_POINTS
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.lock import WorkbookBusy, is_held, lock_path, master_lock
from qa_xl.workbook.store import read_returns, read_table
from qa_xl.workbook.xlsxparts import temp_prefix, write_workbook
from test_integrity import edit_return, filled
from test_returns import PERIOD, issued

PARTNERS = ("police", "health_rwt", "education", "probation")
SRC = Path(__file__).resolve().parents[1] / "src"


# ------------------------------------------------------------------------------ helpers

def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_XL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def start(*args: str | Path, preexec=None, **extra: str) -> subprocess.Popen:
    """A qa-xl command as its own process."""
    return subprocess.Popen([sys.executable, "-m", "qa_xl.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(**extra), preexec_fn=preexec)


def qa(*args: str | Path, preexec=None, **extra: str) -> tuple[int, str]:
    proc = start(*args, preexec=preexec, **extra)
    out, _ = proc.communicate(timeout=300)
    return proc.returncode, out.replace("\n", " ")


@pytest.fixture
def returns(master, tmp_path) -> dict[str, Path]:
    """Every partner's return for the quarter, filled in (each with its own figures)."""
    files = issue_returns(master, PERIOD, tmp_path / "returns")
    by_partner = {f.name.split(f"_{PERIOD.replace(' ', '_')}")[0]: f for f in files}
    return {p: filled(by_partner[p], i + 1) for i, p in enumerate(PARTNERS) if p in by_partner}


def stored(master: Path) -> pd.DataFrame:
    return read_returns(FileStore(master)).df


def log_of(master: Path) -> pd.DataFrame:
    return read_table(FileStore(master), S.IMPORT_LOG).df


def assert_each_once(master: Path, files: dict[str, Path]) -> None:
    """Each partner's return rows are in the master exactly once: none lost, none doubled."""
    df = stored(master)
    assert not df.duplicated(["partner_id", "period", "indicator_id"]).any()
    for partner, path in files.items():
        assert (df["partner_id"] == partner).sum() == len(issued(path)), partner
    assert set(df["partner_id"]) == set(files)


def backups(master: Path) -> set[Path]:
    return set((master.parent / "backups").glob("*.xlsx"))


def leftovers(master: Path) -> list[str]:
    found = list(master.parent.glob(f"{temp_prefix(master)}*"))
    found += list((master.parent / "backups").glob(f"{temp_prefix(master)}*"))
    return [p.name for p in found]


class Holder:
    """Another process holding the master's lock until told to let go: a save in progress."""

    def __init__(self, master: Path) -> None:
        self.go = master.with_name("let-go")
        ready = master.with_name("holding")
        code = ("import sys, time, pathlib; from qa_xl.workbook.lock import master_lock\n"
                "m, ready, go = map(pathlib.Path, sys.argv[1:])\n"
                "with master_lock(m, 'qa-xl returns import', say=None):\n"
                "    ready.touch()\n"
                "    while not go.exists(): time.sleep(0.02)\n")
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(master), str(ready),
                                      str(self.go)], env=_env())
        while not ready.exists():  # waits for the event, however long it takes
            assert self.proc.poll() is None, "the holder died"
            time.sleep(0.02)

    def release(self) -> None:
        self.go.touch()
        assert self.proc.wait(timeout=120) == 0


# ------------------------------------------------------- A: one lock behind any link

def test_two_paths_to_one_workbook_share_one_lock(master, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "QA_Master.xlsx"
    shutil.move(master, real)
    link = tmp_path / "elsewhere" / "Team_master.xlsx"
    link.parent.mkdir()
    link.symlink_to(real)
    assert lock_path(link) == lock_path(real) == shared / "QA_Master.xlsx.qa_xl-lock"
    holder = Holder(real)
    try:
        before = real.read_bytes()
        with pytest.raises(WorkbookBusy, match="qa-xl returns import"), master_lock(
                link, "Roll up", wait=0, say=None):
            pass
        assert real.read_bytes() == before
    finally:
        holder.release()


def test_one_job_asking_by_two_paths_holds_the_lock_once(master, tmp_path):
    """Re-entrant however the path is spelt (a linked folder): no job waits for itself."""
    linked = tmp_path / "linked-folder"
    linked.symlink_to(master.parent, target_is_directory=True)
    with master_lock(master, "Import returns", wait=0, say=None), master_lock(
            linked / master.name, "Roll up", wait=0, say=None):
        assert is_held(linked / master.name) and is_held(master)
    assert not is_held(master)


def test_another_thread_waits_for_the_lock_like_another_process(master):
    """Two button presses served by two threads of one process: the second waits its turn
    instead of taking the first's lock as its own."""
    outcome: list[BaseException | None] = []

    def second_press() -> None:
        try:
            with master_lock(master, "Roll up", wait=0, say=None):
                outcome.append(None)
        except WorkbookBusy as exc:
            outcome.append(exc)

    with master_lock(master, "Import returns", wait=0, say=None):
        worker = threading.Thread(target=second_press)
        worker.start()
        worker.join()
    assert isinstance(outcome[0], WorkbookBusy)
    worker = threading.Thread(target=second_press)  # and takes it once the first is done
    worker.start()
    worker.join()
    assert outcome[1] is None


# ------------------------------------------- E: a write without the lock waits its turn

def test_a_write_without_the_lock_leaves_another_jobs_save_alone(master, monkeypatch):
    """A script calling write_workbook directly, while another job is mid-save (it holds the
    lock and its temporary file is being written), neither saves over that job nor tidies its
    temporary file away: it waits for the lock, then gives up naming the holder."""
    monkeypatch.setenv("QA_XL_LOCK_WAIT", "0")
    holder = Holder(master)
    theirs = master.with_name(f"{temp_prefix(master)}theirs.tmp")
    theirs.write_bytes(b"another job's save, half written")
    try:
        before = master.read_bytes()
        with pytest.raises(WorkbookBusy, match="qa-xl returns import"):
            write_workbook(master, cells={"Start": {"B5": "a script's change"}})
        assert master.read_bytes() == before
        assert theirs.read_bytes() == b"another job's save, half written"
        assert not (master.parent / "backups").exists()
    finally:
        holder.release()
    write_workbook(master, cells={"Start": {"B5": "a script's change"}})  # now its turn
    assert not theirs.exists()  # a leftover now that nobody is writing it: tidied


def test_a_backup_never_replaces_another_with_the_same_name(master, monkeypatch):
    """Two saves in one second, or the clock put back: the new backup takes a free name."""
    import qa_xl.workbook.xlsxparts as parts

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 10, 25, 1, 30, 0)

    monkeypatch.setattr(parts.dt, "datetime", Frozen)
    folder = master.parent / "backups"
    folder.mkdir()
    taken = folder / "QA_Master.backup-20261025-013000-2.xlsx"  # as an older run named it
    shutil.copyfile(master, taken)
    kept = taken.read_bytes()
    first = write_workbook(master, cells={"Start": {"B5": "one"}})
    second = write_workbook(master, cells={"Start": {"B5": "two"}})
    third = write_workbook(master, cells={"Start": {"B5": "three"}})
    names = {p.name for p in (first, second, third)}
    assert len(names) == 3 and taken.name not in names
    assert taken.read_bytes() == kept
    assert len(list(folder.glob("*.xlsx"))) == 4


# ------------------------------------------------ C: pruned by when they were written

def test_backups_are_pruned_by_when_they_were_written_not_their_names(master):
    """After the clock went back (or a backup was copied in), the name's time misleads: the
    backups written last are the ones kept."""
    folder = master.parent / "backups"
    folder.mkdir()
    misleading = folder / "QA_Master.backup-20991231-235959.xlsx"  # a name from "the future"
    shutil.copyfile(master, misleading)
    os.utime(misleading, (1_000_000_000, 1_000_000_000))  # written in 2001
    kept = [write_workbook(master, cells={"Start": {"B5": f"save {i}"}}, keep_backups=2)
            for i in range(3)]
    left = set(folder.iterdir())
    assert misleading not in left
    assert left == {kept[1], kept[2]}


# ------------------------------------------------------ D: a backup fault names the file

def test_a_backup_that_cannot_be_written_names_the_workbook(master, capsys):
    (master.parent / "backups").write_text("a file where the backups folder should be")
    before = master.read_bytes()
    with pytest.raises(UnusableInput) as err:
        write_workbook(master, cells={"Start": {"B5": "x"}})
    assert "QA_Master.xlsx" in str(err.value) and "backup" in str(err.value)
    assert master.read_bytes() == before and leftovers(master) == []
    code, text = qa("validate", master, "--write")
    assert code == 2 and "QA_Master.xlsx" in text and "backup" in text, text
    assert "Internal error" not in text and master.read_bytes() == before


# ---------------------------------------------- concurrent writers: real processes

@pytest.mark.slow
def test_concurrent_imports_rollup_and_validate_lose_and_double_nothing(master, returns,
                                                                         tmp_path):
    """Four imports, a roll-up and a validate --write at once on one master. A holder keeps
    the lock until every one of them says it is waiting — so they really do contend, however
    the machine schedules them — then lets go: each takes its turn and, at the end, every
    return's rows are there exactly once and every import is logged once."""
    holder = Holder(master)
    commands = [("returns", "import", master, path) for path in returns.values()]
    commands += [("rollup", master), ("validate", master, "--write")]
    procs = []
    try:
        for i, command in enumerate(commands):
            out = (tmp_path / f"out{i}.txt").open("w")
            procs.append((subprocess.Popen(
                [sys.executable, "-m", "qa_xl.cli", *map(str, command)], stdout=out,
                stderr=subprocess.STDOUT, text=True, env=_env(QA_XL_LOCK_WAIT="600")),
                tmp_path / f"out{i}.txt"))
            out.close()
        for proc, out in procs:  # each one waiting for the lock: an event, not a time
            while "Waiting for the workbook" not in out.read_text(encoding="utf-8"):
                assert proc.poll() is None, out.read_text(encoding="utf-8")
                time.sleep(0.05)
    finally:
        holder.release()
    outs = [(proc.wait(timeout=600), out.read_text(encoding="utf-8")) for proc, out in procs]
    for code, out in outs[:len(returns)]:
        assert code == 0 and "Accepted" in out, out
    for code, out in outs[len(returns):]:
        assert code in (0, 1) and "Internal error" not in out, out
    assert_each_once(master, returns)
    log = log_of(master)
    assert sorted(log["file_name"]) == sorted(p.name for p in returns.values())
    assert all(r.startswith("Accepted") for r in log["result"])
    assert leftovers(master) == []


@pytest.mark.slow
def test_a_writer_that_cannot_wait_exits_2_and_changes_nothing(master, returns):
    """With no time to wait, each import either lands whole or exits 2 naming who has the
    workbook; whichever way the race goes, what landed is there once and nothing else is."""
    files = dict(list(returns.items())[:3])
    procs = {p: start("returns", "import", master, path, QA_XL_LOCK_WAIT="0")
             for p, path in files.items()}
    landed = {}
    for partner, proc in procs.items():
        out = proc.communicate(timeout=600)[0]
        assert proc.returncode in (0, 2), out
        if proc.returncode == 0:
            landed[partner] = files[partner]
        else:
            assert "being written by" in out and "Import returns" in out, out
    assert landed  # the first to take the lock always lands
    if len(landed) < len(files):
        assert_each_once(master, landed)
    else:
        assert_each_once(master, files)
    assert len(log_of(master)) == len(landed)


# ------------------------------------------------------- kill -9 at every save point

BEFORE_REPLACE = {"temp-written", "backup-temp-written", "backup-renamed"}


@pytest.mark.slow
@pytest.mark.parametrize("point", SAVE_POINTS)
def test_kill_at_each_save_point_leaves_old_or_new_never_a_mix(master, returns, point):
    police = {"police": returns["police"]}
    before, kept = master.read_bytes(), backups(master)  # issuing the returns kept one
    code, _ = qa("returns", "import", master, returns["police"], QA_XL_FAULT=point)
    assert code == -signal.SIGKILL
    if point in BEFORE_REPLACE:
        assert master.read_bytes() == before
    else:
        assert master.read_bytes() != before
        assert_each_once(master, police)  # wholly the new version
        with zipfile.ZipFile(master) as z:
            assert z.testzip() is None
    for backup in backups(master) - kept:
        assert backup.read_bytes() == before  # a backup is only ever the old version, whole
    # The next run takes the lock a dead process held, imports, and tidies up after it.
    code, text = qa("returns", "import", master, returns["police"], returns["health_rwt"])
    assert code == 0, text
    assert_each_once(master, {"police": returns["police"], "health_rwt": returns["health_rwt"]})
    assert leftovers(master) == []
    log = log_of(master)
    assert (log["file_name"] == returns["health_rwt"].name).sum() == 1


@pytest.mark.slow
@pytest.mark.parametrize("point", ["temp-written", "replaced"])
@pytest.mark.parametrize(("command", "table"), [(("rollup",), S.ROLLUP),
                                                (("validate", "--write"), S.VALIDATION)])
def test_kill_during_a_rollup_or_validate_leaves_old_or_new(demo_master, point, command,
                                                             table):
    before = demo_master.read_bytes()
    code, _ = qa(*command, demo_master, QA_XL_FAULT=point)
    assert code == -signal.SIGKILL
    if point in BEFORE_REPLACE:
        assert demo_master.read_bytes() == before
    else:
        with zipfile.ZipFile(demo_master) as z:
            assert z.testzip() is None
        assert demo_master.read_bytes() != before  # the new version, whole and readable
        read_table(FileStore(demo_master), table)
    code, text = qa(*command, demo_master)
    assert code in (0, 1) and "Internal error" not in text, text
    assert leftovers(demo_master) == []


# --------------------------------------------------------------------- a full disk

def _file_size_limit(limit: int):
    def limited() -> None:  # in the child: writes past `limit` fail with EFBIG, not a kill
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limited


@pytest.mark.slow
def test_a_full_disk_is_exit_2_naming_the_file_with_the_master_unchanged(master, returns):
    before, kept = master.read_bytes(), backups(master)
    code, text = qa("returns", "import", master, returns["police"],
                    preexec=_file_size_limit(len(before) // 2))
    assert code == 2, text
    assert "Internal error" not in text and "QA_Master.xlsx" in text
    assert "larger than this system allows" in text or "disk is full" in text
    assert master.read_bytes() == before
    assert leftovers(master) == []
    assert backups(master) == kept


def test_a_full_disk_on_a_real_small_drive(master, returns, tmp_path):
    """The same on a drive that really fills (a 1 MB tmpfs) where the machine lets us mount
    one; elsewhere the file-size limit above stands in for it (both must hold)."""
    drive = tmp_path / "small-drive"
    drive.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(drive)],
        capture_output=True).returncode == 0
    try:
        on_drive = drive / "QA_Master.xlsx"
        shutil.copyfile(master, on_drive)
        filler = drive / "filler"
        if mounted:  # leave less room than the new file needs
            free = shutil.disk_usage(drive).free
            filler.write_bytes(b"\0" * max(0, free - on_drive.stat().st_size // 2))
        before = on_drive.read_bytes()
        code, text = qa("returns", "import", on_drive, returns["police"],
                        preexec=None if mounted else _file_size_limit(len(before) // 2))
        assert code == 2 and "Internal error" not in text and "QA_Master.xlsx" in text, text
        assert ("disk is full" if mounted else "larger than this system allows") in text, text
        assert on_drive.read_bytes() == before and leftovers(on_drive) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(drive)], check=True)


# ------------------------------------------------------------ doctored and replayed files

def _change_a_locked_text(book) -> None:
    ws = book["Return"]
    first = int(ws.tables["tblReturn"].ref.split(":")[0][1:]) + 1
    ws.cell(first, S.ISSUED_RETURN.names.index("indicator_name") + 1).value = "Something else"


def _resign_with_a_wrong_secret(book) -> None:
    from qa_xl.collect.master import token

    _change_a_locked_text(book)
    ws = book["About"]
    meta = {row[0].value: row[1] for row in ws.iter_rows()}
    meta["token"].value = token("not the secret" * 4, {k: str(v.value) for k, v in
                                                       meta.items()})


def _forge_the_row_digest(book) -> None:
    ws = book["About"]
    meta = {row[0].value: row[1] for row in ws.iter_rows()}
    if "rows" in meta:
        meta["rows"].value = "0" * 64
    _change_a_locked_text(book)


@pytest.mark.slow
@pytest.mark.parametrize("doctor", [_change_a_locked_text, _resign_with_a_wrong_secret,
                                    _forge_the_row_digest])
def test_a_doctored_return_is_refused_with_the_master_unchanged(master, returns, doctor):
    path = returns["police"]
    edit_return(path, doctor)
    before = master.read_bytes()
    code, text = qa("returns", "import", master, path)
    assert code in (1, 2) and "Refused" in text and path.name in text, text
    assert master.read_bytes() == before


@pytest.mark.slow
def test_an_older_fill_replayed_after_a_newer_is_refused_byte_for_byte(master, tmp_path):
    path = issue_returns(master, PERIOD, tmp_path / "returns", ["police"])[0]
    older = tmp_path / "police_older.xlsx"
    shutil.copyfile(path, older)
    filled(older, 1, dt.date(2026, 7, 10))
    filled(path, 2, dt.date(2026, 7, 22))
    assert qa("returns", "import", master, path)[0] == 0
    before = master.read_bytes()
    code, text = qa("returns", "import", master, older)
    assert code == 2 and older.name in text and path.name in text, text
    assert master.read_bytes() == before


# ------------------------------------------------ B: the record of refused imports

def _pending(master: Path) -> Path:
    return master.with_name(f"{master.stem}.refused-imports.jsonl")


def _a_refusal(returns: dict[str, Path], tmp_path: Path) -> Path:
    bad = tmp_path / "education_doctored.xlsx"
    shutil.copyfile(returns["education"], bad)
    edit_return(bad, _change_a_locked_text)
    return bad


@pytest.mark.slow
@pytest.mark.parametrize("point", ["temp-written", "replaced", "pruned"])
def test_a_refusal_is_logged_once_across_a_killed_save(master, returns, tmp_path, point):
    bad = _a_refusal(returns, tmp_path)
    before = master.read_bytes()
    assert qa("returns", "import", master, bad)[0] in (1, 2)
    assert master.read_bytes() == before and _pending(master).exists()
    code, _ = qa("returns", "import", master, returns["police"], QA_XL_FAULT=point)
    assert code == -signal.SIGKILL
    if point == "temp-written":  # set aside before the save; the master as it was
        assert master.read_bytes() == before and not _pending(master).exists()
    again = tmp_path / "education_doctored_again.xlsx"  # refused meanwhile: a new side file
    shutil.copyfile(bad, again)
    assert import_returns(master, [again]).exit_code in (1, 2)
    code, text = qa("returns", "import", master, returns["health_rwt"])
    assert code == 0, text
    log = log_of(master)
    assert (log["file_name"] == bad.name).sum() == 1, log
    assert (log["file_name"] == again.name).sum() == 1, log
    assert not list(master.parent.glob("*.refused-imports*"))


def test_a_torn_last_line_is_kept_not_lost_and_not_a_crash(master, returns, tmp_path):
    """A run killed while it appended a refusal leaves half a line; the next refusal still
    gets its own line, and both reach the log (the torn one saying it was cut short)."""
    when = dt.datetime(2026, 7, 21, 9, 30)
    whole = [when.isoformat(), "probation", PERIOD, "probation_q1.xlsx", "ab" * 32, 0,
             "Refused: the signature does not match"]
    torn = json.dumps([*whole[:3], "probation_q1_again.xlsx", "cd" * 32, 0,
                       "Refused: the file is damaged"])[:-12]  # cut off mid-text
    _pending(master).write_text(json.dumps(whole) + "\n" + torn, encoding="utf-8")
    bad = _a_refusal(returns, tmp_path)
    assert import_returns(master, [bad]).exit_code in (1, 2)
    assert import_returns(master, [returns["police"]]).exit_code == 0
    log = log_of(master)
    names = list(log["file_name"])
    for name in ("probation_q1.xlsx", "probation_q1_again.xlsx", bad.name,
                 returns["police"].name):
        assert names.count(name) == 1, (name, names)
    cut = log[log["file_name"] == "probation_q1_again.xlsx"].iloc[0]
    assert cut["result"].startswith("Refused") and "cut short" in cut["result"]
    assert not _pending(master).exists()


def test_side_file_lines_that_are_not_rows_never_crash(master, returns):
    _pending(master).write_text('{"not": "a row"}\n[1, 2]\n\n"text"\n[null]\n',
                                encoding="utf-8")
    report = import_returns(master, [returns["police"]])
    assert report.exit_code == 0
    log = log_of(master)
    assert len(log) == 1 + 4 and log["result"].str.startswith("Refused").sum() == 4


def test_refusals_through_a_link_reach_the_log_of_the_real_file(master, returns, tmp_path):
    """The record of refused attempts lives beside the real workbook, like its lock: a
    refusal made through a shared drive's link is logged by the next import made either way."""
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "QA_Master.xlsx"
    shutil.move(master, real)
    link = tmp_path / "elsewhere" / "QA_Master.xlsx"
    link.parent.mkdir()
    link.symlink_to(real)
    bad = _a_refusal(returns, tmp_path)
    assert import_returns(link, [bad]).exit_code in (1, 2)
    assert _pending(real).exists() and not _pending(link).exists()
    assert import_returns(real, [returns["police"]]).exit_code == 0
    assert (log_of(real)["file_name"] == bad.name).sum() == 1
