"""Reminders for returns not received: drafted as e-mails for an officer to check, or sent.

``qa-xl returns chase`` looks at the returns tracker for a period and writes one reminder per
partner whose return is missing (its deadline has passed and nothing has been accepted) or was
refused and not sent again: a standard ``.eml`` file — To the partner's lead, From and Reply-To
from the Config sheet, the period and deadline in the subject and body, what is missing, why a
refused return was refused, and the partner's issued return attached again — that opens in
Outlook or Thunderbird as a message to check and send (``X-Unsent: 1``). With ``send`` the same
messages go through the mail server named on the Config sheet (host, port, STARTTLS); its
password comes from the environment (``QA_XL_SMTP_PASSWORD``) or the operating system's keyring,
never from the workbook. A partner without an e-mail address is listed, not skipped silently.
Every reminder drafted or sent is recorded in the tracker.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import mimetypes
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd

from qa_xl.collect.master import Master, issued_rows
from qa_xl.collect.tracker import MISSING, REFUSED, after_reminders, deadline, refreshed
from qa_xl.core.errors import UnusableInput, os_problem
from qa_xl.core.mail import addresses
from qa_xl.core.periods import Period, PeriodError
from qa_xl.core.words import plural
from qa_xl.workbook import schema as S
from qa_xl.workbook.filestore import opened
from qa_xl.workbook.store import Store, read_table, status_cells

CHASED = (MISSING, REFUSED)
PASSWORD_VARIABLE = "QA_XL_SMTP_PASSWORD"
CAFILE_VARIABLE = "QA_XL_SMTP_CAFILE"  # a private certificate authority's file, if any


@dataclass
class Reminder:
    partner_id: str
    status: str
    to: str = ""
    draft: Path | None = None
    attached: Path | None = None
    sent: bool = False
    problem: str = ""  # why no reminder could be written (no e-mail address, say)
    message: EmailMessage | None = None


@dataclass
class ChaseReport:
    period: str
    reminders: list[Reminder] = field(default_factory=list)
    folder: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if any(r.problem for r in self.reminders) else 0

    def lines(self) -> list[str]:
        out = []
        for r in self.reminders:
            if r.problem:
                out.append(f"{r.partner_id} ({r.status}): no reminder — {r.problem}")
                continue
            how = "sent to" if r.sent else "drafted for"
            out.append(f"{r.partner_id} ({r.status}): reminder {how} {r.to}"
                       + (f" in {r.draft.name}" if r.draft else "")
                       + ("" if r.attached else " (the issued return was not found to attach)"))
        if not self.reminders:
            out.append(f"Nothing to chase for {self.period}: every return due is in, or not "
                       "yet due.")
        elif self.folder and any(r.draft for r in self.reminders):
            out.append(f"Drafts in {self.folder}: open each in Outlook or Thunderbird, check it "
                       "and send it.")
        return out


def chase_returns(workbook: str | Path | Store, period: str | None = None,
                  out_dir: str | Path | None = None, *, send: bool = False,
                  now: dt.datetime | None = None,
                  base: str | Path | None = None) -> ChaseReport:
    """Draft (or, with ``send``, send) a reminder for every return of ``period`` (default the
    Config sheet's current period) that is missing or was refused. ``base`` is the folder the
    returns were issued under and the drafts go in (default the workbook's own folder; the
    buttons give Config's files_folder, as a Lite workbook has no folder of its own)."""
    now = (now or dt.datetime.now()).replace(microsecond=0)
    with opened(workbook, "Chase returns", write=True) as store:
        master = Master.read(store)
        p = _period(period, master.settings, store.label)
        tracker = refreshed(read_table(store, S.RETURNS_TRACKER).df, master.settings,
                            now.date())
        report = ChaseReport(str(p))
        rows = {r["partner_id"]: r for _, r in tracker[tracker["period"] == str(p)].iterrows()}
        base = Path(base) if base else Path(getattr(store, "path", Path.cwd() / "x")).parent
        folder = Path(out_dir) if out_dir else base / "reminders" / p.file_part
        returns_folder = _returns_folder(master.settings, base, p)
        for partner in master.partners.dropna(subset=["partner_id"]).itertuples():
            if str(partner.returns_expected or "Yes").casefold() == "no":
                continue
            due = issued_rows(master, partner.partner_id, p)
            if due.empty:
                continue
            row = rows.get(partner.partner_id)
            status = row["status"] if row is not None else (
                MISSING if now.date() > deadline(p, master.settings) else "Not yet due")
            if status not in CHASED:
                continue
            report.reminders.append(_remind(master, partner, row, status, p, due, folder,
                                            returns_folder, now))
        done = [r for r in report.reminders if not r.problem]
        failed = None
        if send and done:
            try:
                _send(master.settings, done, store.label)
            except UnusableInput as exc:  # record what did go, then say what did not
                failed = exc
                done = [r for r in done if r.sent]
        if done:
            report.folder = folder if any(r.draft for r in done) else None
            tracker = after_reminders(tracker, [(r.partner_id, str(p)) for r in done],
                                      master.settings, now)
            store.write({S.RETURNS_TRACKER.table: tracker}, status_cells(
                "Chase returns", f"{plural(len(done), 'reminder')} "
                f"{'sent' if send else 'drafted'} for {p}", str(folder)))
    if failed is not None:
        raise failed
    return report


def _period(period: str | None, settings: dict[str, Any], label: str) -> Period:
    text = period or settings.get("current_period")
    try:
        return Period.typed(str(text)) if period else Period.parse(text)
    except PeriodError as exc:
        raise UnusableInput(str(exc), file=label, action="give the period as 2026-27 Q2"
                            ) from exc


def _returns_folder(settings: dict[str, Any], base: Path, period: Period) -> list[Path]:
    """Where the issued returns may be: Config's returns_folder, then returns/<period>."""
    out = []
    setting = str(settings.get("returns_folder") or "").strip()
    if setting:
        out += [Path(setting), Path(setting) / period.file_part]
    return [*out, base / "returns" / period.file_part]


def _remind(master: Master, partner: Any, row: pd.Series | None, status: str, period: Period,
            due: pd.DataFrame, folder: Path, returns_folder: list[Path], now: dt.datetime
            ) -> Reminder:
    reminder = Reminder(partner.partner_id, status)
    cell = "" if pd.isna(partner.email) else str(partner.email)
    to, problem = addresses(cell)
    if not cell.strip():
        reminder.problem = (f"the Partners sheet has no e-mail address for {partner.name}: add "
                            "it (column email) and chase again, or contact them another way")
        return reminder
    if problem:
        reminder.problem = (f"the Partners sheet's e-mail address for {partner.name} is not "
                            f"usable: {problem}. Correct it (column email) and chase again, or "
                            "contact them another way")
        return reminder
    lead = "" if pd.isna(partner.lead) else " ".join(str(partner.lead).split())
    name = lead or " ".join(str(partner.name).split())
    reminder.to = "; ".join(f"{name} <{a}>" for a in to)  # as the officer reads it
    settings = master.settings
    names = " ".join(str(settings.get("partnership") or "").split())  # one line: a subject
    issued = "" if row is None or pd.isna(row.get("file")) else str(row.get("file"))
    file_name = Path(issued).name or f"{partner.partner_id}_{period.file_part}.xlsx"
    places = [Path(issued)] if issued else []
    places += [f / file_name for f in returns_folder]
    attached = next((f for f in places if f.is_file()), None)
    reminder.attached = attached
    message = EmailMessage()
    message["To"] = [Address(name, addr_spec=a) for a in to]  # encoded as mail needs it
    sender, reply_to = senders(settings, master.store.label)
    if sender:
        message["From"] = sender
    if reply_to:
        message["Reply-To"] = reply_to
    when = deadline(period, settings)
    message["Subject"] = (f"{names + ': ' if names else ''}your {period} return "
                          f"{'was refused' if status == REFUSED else 'has not arrived'}")
    message["Date"] = email.utils.format_datetime(now.astimezone())
    message["Message-ID"] = email.utils.make_msgid(domain="qa-xl.invalid")
    message["X-Unsent"] = "1"  # Outlook opens it as a message to send, not one received
    message.set_content(_body(partner, lead, status, period, when, due, row, names, attached))
    if attached is not None:
        kind, _ = mimetypes.guess_type(attached.name)
        main, sub = (kind or "application/octet-stream").split("/")
        message.add_attachment(attached.read_bytes(), maintype=main, subtype=sub,
                               filename=attached.name)
    reminder.draft = _write_draft(folder / f"{partner.partner_id}_{period.file_part}_reminder.eml",
                                  message)
    reminder.message = message
    return reminder


def senders(settings: dict[str, Any], label: str) -> tuple[list[Address], list[Address]]:
    """From and Reply-To as the Config sheet gives them (mail_from, reply_to: "Business unit
    <qa.team@example.gov.uk>" or a plain address), refused with the setting named when no
    mail server would take them."""
    out = []
    for key in ("mail_from", "reply_to"):
        text = str(settings.get(key) or "").strip()
        if not text:
            out.append([])
            continue
        name, _ = email.utils.parseaddr(text)
        found, problem = addresses(text)
        if problem:
            raise UnusableInput(f"the setting {key} is not a usable e-mail address: {problem}",
                                file=label, sheet="Config", action=f"give {key} on the Config "
                                "sheet as Business unit <qa.team@example.gov.uk>")
        out.append([Address(name if len(found) == 1 else "", addr_spec=a) for a in found])
    return out[0], out[1] or out[0]


def _body(partner: Any, lead: str, status: str, period: Period, when: dt.date,
          due: pd.DataFrame, row: pd.Series | None, names: str, attached: Path | None) -> str:
    lines = [f"Dear {lead or partner.name},", ""]
    if status == REFUSED:
        reason = "" if row is None or pd.isna(row.get("note")) else str(row["note"])
        reason = reason.removeprefix("Refused: ")
        lines += [f"Thank you for sending {partner.name}'s return for {period}. We could not "
                  "import it, for this reason:", "", f"    {reason}", "",
                  "Please correct it in the return attached (the one we issued) and send it "
                  "again."]
    else:
        lines += [f"We have not yet received {partner.name}'s return for {period}, which was "
                  f"due by {when:%d %B %Y}.", "",
                  "Please fill in the return attached (the one we issued) and send it back as "
                  "soon as you can."]
    lines += ["", "It asks for these figures:"]
    lines += [f"  - {r.indicator_name} ({r.period})" for r in due.itertuples()]
    if attached is None:
        lines += ["", "(We could not find the issued return to attach: please reply and we "
                  "will send it again.)"]
    lines += ["", "If you have already sent it, thank you, and please ignore this reminder.",
              "", "With thanks,", names or "The business unit"]
    return "\n".join(lines) + "\n"


def _write_draft(path: Path, message: EmailMessage) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.qa_xl-",
                                    suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
        os.replace(name, path)
    except OSError as exc:
        raise os_problem(exc, "write the reminder", path) from exc
    return path


def _send(settings: dict[str, Any], reminders: list[Reminder], label: str) -> None:
    """Through the Config sheet's mail server; the password from the environment or keyring."""
    host = str(settings.get("smtp_host") or "").strip()
    if not host:
        raise UnusableInput("the setting smtp_host is blank, so reminders cannot be sent",
                            file=label, sheet="Config", action="give the mail server on the "
                            "Config sheet (smtp_host, smtp_port), or leave out --send and send "
                            "the drafts from Outlook")
    if not settings.get("mail_from"):
        raise UnusableInput("the setting mail_from is blank, so the reminders have no sender",
                            file=label, sheet="Config", action="give mail_from on the Config "
                            "sheet, e.g. Business unit <qa.team@example.gov.uk>")
    port = int(settings.get("smtp_port") or 587)
    user = str(settings.get("smtp_user") or "").strip()
    password = os.environ.get(PASSWORD_VARIABLE) or (_keyring_password(user) if user else None)
    starttls = str(settings.get("smtp_starttls", True)).strip().casefold() not in (
        "false", "no", "0", "")
    try:
        with smtplib.SMTP(host, port, timeout=30) as server:
            if starttls:
                server.starttls(context=ssl.create_default_context(
                    cafile=os.environ.get(CAFILE_VARIABLE) or None))
            if user:
                if not password:
                    raise UnusableInput(
                        f"no password for {user}", file=label, sheet="Config",
                        action=f"set the environment variable {PASSWORD_VARIABLE}, or keep the "
                        f"password in the system keyring (service qa_xl, user {user})")
                server.login(user, password)
            for reminder in reminders:
                message = reminder.message
                assert message is not None
                del message["X-Unsent"]
                server.send_message(message)
                reminder.sent = True
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        sent = [r.partner_id for r in reminders if r.sent]
        raise UnusableInput(
            f"the mail server {host}:{port} did not take the reminders ({exc}); "
            f"{'sent before it stopped: ' + ', '.join(sent) if sent else 'none was sent'}",
            file=label, action="check the mail settings on the Config sheet and the password, "
            "or send the drafts from Outlook") from exc


def _keyring_password(user: str) -> str | None:
    try:
        import keyring

        return keyring.get_password("qa_xl", user)
    except Exception:  # no keyring package or no backend on this computer
        return None
