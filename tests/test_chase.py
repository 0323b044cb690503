"""Reminders: drafts read back with email.parser, and sending through a real SMTP server on
127.0.0.1 (aiosmtpd), plain and with STARTTLS and a password."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from qa_xl.cli import main
from qa_xl.collect.chase import chase_returns
from qa_xl.collect.importing import import_returns
from qa_xl.collect.issue import issue_returns
from qa_xl.core.errors import UnusableInput
from qa_xl.example import fill_return
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import FileStore
from qa_xl.workbook.store import read_table
from qa_xl.workbook.xlsxparts import write_workbook
from test_returns import PERIOD, figures_for

ISSUED = dt.datetime(2026, 7, 1, 9, 0)
AFTER_DEADLINE = dt.datetime(2026, 8, 3, 10, 0)


def set_rows(master: Path, table: S.TableSchema, key: str, values: dict[str, dict[str, object]]
             ) -> None:
    """Set cells of a table's rows, found by their key column (the sheet as an officer edits)."""
    df = read_table(FileStore(master), table).df
    letters = {n: S.column_letter(i + 1) for i, n in enumerate(table.names)}
    cells = {}
    for row, r in df.iterrows():
        for column, value in values.get(r[key], {}).items():
            cells[f"{letters[column]}{row}"] = value
    write_workbook(master, cells={table.sheet: cells}, backup=False)


@pytest.fixture
def round_(master, tmp_path) -> dict[str, Path]:
    """Returns issued on 1 July; police's imported in time, probation's refused, the rest not
    in. Every partner has a lead and an address but the voluntary sector."""
    partners = read_table(FileStore(master), S.PARTNERS).df["partner_id"]
    set_rows(master, S.PARTNERS, "partner_id", {
        p: {"lead": f"Lead of {p}", "email": "" if p == "voluntary" else f"{p}@example.org"}
        for p in partners})
    set_rows(master, S.CONFIG, "key", {"mail_from": {"value": "QA team <qa@example.gov.uk>"},
                                       "reply_to": {"value": "returns@example.gov.uk"}})
    files = issue_returns(master, PERIOD, tmp_path / "returns", now=ISSUED)
    issued = {f.name.split(f"_{PERIOD.replace(' ', '_')}")[0]: f for f in files}
    fill_return(issued["police"], figures_for(issued["police"], 1), "DI Jones",
                dt.date(2026, 7, 10))
    bad = issued["probation"]
    fill_return(bad, {k: {**v, "value": -3} if "value" in v else v
                      for k, v in figures_for(bad, 2).items()}, "Lead", dt.date(2026, 7, 10))
    import_returns(master, [issued["police"], bad], now=dt.datetime(2026, 7, 12, 9, 0))
    fill_return(bad, {}, None, None)  # the issued return as it is attached again
    return issued


def drafts(folder: Path) -> dict[str, object]:
    return {p.name.split(f"_{PERIOD.replace(' ', '_')}")[0]:
            BytesParser(policy=policy.default).parsebytes(p.read_bytes())
            for p in sorted(folder.glob("*.eml"))}


def test_drafts_for_missing_and_refused_returns(master, round_, tmp_path):
    out = tmp_path / "reminders"
    report = chase_returns(master, PERIOD, out, now=AFTER_DEADLINE)
    messages = drafts(out)
    assert "police" not in messages  # received in time
    assert "voluntary" not in messages  # no address: listed instead
    expected = set(round_) - {"police", "voluntary"}
    assert set(messages) == expected
    assert report.exit_code == 1
    assert any(line.startswith("voluntary") and "no e-mail address" in line
               for line in report.lines())
    refused = messages["probation"]
    assert refused["To"] == "Lead of probation <probation@example.org>"
    assert refused["From"] == "QA team <qa@example.gov.uk>"
    assert refused["Reply-To"] == "returns@example.gov.uk"
    assert PERIOD in refused["Subject"] and "refused" in refused["Subject"]
    assert refused["X-Unsent"] == "1"
    body = refused.get_body(("plain",)).get_content()
    assert "cannot be negative" in body
    missing = messages["education"]
    text = missing.get_body(("plain",)).get_content()
    assert "30 July 2026" in text and "has not arrived" in missing["Subject"]
    (attachment,) = list(missing.iter_attachments())
    assert attachment.get_filename() == round_["education"].name
    assert attachment.get_content() == round_["education"].read_bytes()
    tracker = read_table(FileStore(master), S.RETURNS_TRACKER).df.set_index("partner_id")
    assert tracker.loc["education", "reminded_on"] == "03/08/2026 10:00"
    assert pd.isna(tracker.loc["voluntary", "reminded_on"])


def test_nothing_to_chase_before_the_deadline(master, round_, tmp_path):
    report = chase_returns(master, PERIOD, tmp_path / "r", now=dt.datetime(2026, 7, 20, 9, 0))
    assert [r.partner_id for r in report.reminders] == ["probation"]  # refused: chase now


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_send_through_a_real_smtp_server(master, round_, tmp_path, smtp_server, capsys):
    inbox, port = smtp_server
    set_rows(master, S.CONFIG, "key", {"smtp_host": {"value": "127.0.0.1"},
                                       "smtp_port": {"value": port},
                                       "smtp_starttls": {"value": False}})
    with pytest.raises(SystemExit) as exit_:
        main(["returns", "chase", str(master), "--period", "2026/27 q1", "--out",
              str(tmp_path / "sent"), "--send"])
    assert exit_.value.code == 1  # the voluntary sector has no address
    received = [BytesParser(policy=policy.default).parsebytes(m) for m in inbox.messages]
    assert {m["To"].addresses[0].addr_spec for m in received} == {
        f"{p}@example.org" for p in set(round_) - {"police", "voluntary"}}
    assert all(m["X-Unsent"] is None for m in received)  # a sent message is not a draft
    assert all(env[0] == "qa@example.gov.uk" for env in inbox.envelopes)
    assert "sent to" in capsys.readouterr().out


@pytest.fixture
def tls_server(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"qa-team" and (
            auth_data.password == b"s3cret!")
        return AuthResult(success=ok)

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=authenticate,
                            auth_require_tls=True)
    controller.start()
    yield inbox, controller.port, cert
    controller.stop()


def test_starttls_and_a_password_from_the_environment(master, round_, tmp_path, tls_server,
                                                      monkeypatch):
    inbox, port, cert = tls_server
    set_rows(master, S.CONFIG, "key", {"smtp_host": {"value": "127.0.0.1"},
                                       "smtp_port": {"value": port},
                                       "smtp_starttls": {"value": True},
                                       "smtp_user": {"value": "qa-team"}})
    monkeypatch.setenv("QA_XL_SMTP_CAFILE", str(cert))
    monkeypatch.setenv("QA_XL_SMTP_PASSWORD", "s3cret!")
    report = chase_returns(master, PERIOD, tmp_path / "sent", send=True, now=AFTER_DEADLINE)
    assert all(r.sent for r in report.reminders if not r.problem)
    assert len(inbox.messages) == len([r for r in report.reminders if not r.problem])
    with open(master, "rb") as f:  # the password never reaches the workbook
        assert b"s3cret!" not in f.read()
    monkeypatch.setenv("QA_XL_SMTP_PASSWORD", "wrong")
    with pytest.raises(UnusableInput, match="did not take the reminders"):
        chase_returns(master, PERIOD, tmp_path / "again", send=True, now=AFTER_DEADLINE)


def test_a_mail_server_that_is_not_there_is_a_plain_answer(master, round_, tmp_path):
    set_rows(master, S.CONFIG, "key", {"smtp_host": {"value": "127.0.0.1"},
                                       "smtp_port": {"value": free_port()},
                                       "smtp_starttls": {"value": False}})
    before = read_table(FileStore(master), S.RETURNS_TRACKER).df
    with pytest.raises(UnusableInput, match="none was sent") as caught:
        chase_returns(master, PERIOD, tmp_path / "sent", send=True, now=AFTER_DEADLINE)
    assert caught.value.exit_code == 2
    after = read_table(FileStore(master), S.RETURNS_TRACKER).df
    pd.testing.assert_frame_equal(before, after)  # nothing recorded as reminded
    assert list((tmp_path / "sent").glob("*.eml"))  # the drafts are there to send by hand


def test_addresses_as_officers_type_them(master, round_, tmp_path, smtp_server):
    """Several addresses in a cell, one pasted from Outlook with a line break and a name, a
    non-ASCII lead and domain: each reminder goes to every address; a cell no mail server
    would take (an accented name before the @, a phone note) is listed with what is wrong,
    never a traceback."""
    inbox, port = smtp_server
    set_rows(master, S.PARTNERS, "partner_id", {
        "education": {"email": "a@example.org; Jo Bloggs <jo@example.org>\r\n"},
        "childrens": {"lead": "Zoë Ångström", "email": "lead@pölice.example"},
        "yos": {"email": "zoë@example.org"},
        "health_rwt": {"email": "call Jo on extension 4"},
        "probation": {"email": "x@example.org\r\nBcc: someone@evil.example"}})
    set_rows(master, S.CONFIG, "key", {"smtp_host": {"value": "127.0.0.1"},
                                       "smtp_port": {"value": port},
                                       "smtp_starttls": {"value": False},
                                       "partnership": {"value": "Wolverhampton\nSCB"}})
    out = tmp_path / "reminders"
    report = chase_returns(master, PERIOD, out, now=AFTER_DEADLINE, send=True)
    lines = {line.split(" ")[0]: line for line in report.lines()}
    assert "accented" in lines["yos"] and "no reminder" in lines["yos"]
    assert "'call Jo on extension 4' is not an e-mail address" in lines["health_rwt"]
    assert "'Bcc: someone@evil.example' is not an e-mail address" in lines["probation"]
    assert "Zoë Ångström <lead@xn--plice-jua.example>" in lines["childrens"]
    received = {m["To"].addresses[0].addr_spec: m for m in (
        BytesParser(policy=policy.default).parsebytes(raw) for raw in inbox.messages)}
    education = received["a@example.org"]
    assert [a.addr_spec for a in education["To"].addresses] == ["a@example.org",
                                                                "jo@example.org"]
    assert education["Subject"].startswith("Wolverhampton SCB: your")
    assert received["lead@xn--plice-jua.example"]["To"].addresses[0].display_name == \
        "Zoë Ångström"
    assert not any("evil" in str(env[1]) for env in inbox.envelopes)
    assert report.exit_code == 1


def test_a_sender_no_server_would_take_is_refused_naming_the_setting(master, round_, tmp_path):
    set_rows(master, S.CONFIG, "key", {"mail_from": {"value": "QA team <qa@example.gov.uk"
                                                              "\nBcc: x@evil.example>"}})
    before = master.read_bytes()
    with pytest.raises(UnusableInput, match="mail_from is not a usable e-mail address") as exc:
        chase_returns(master, PERIOD, tmp_path / "r", now=AFTER_DEADLINE)
    assert exc.value.sheet == "Config"
    assert master.read_bytes() == before
