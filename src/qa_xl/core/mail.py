"""E-mail addresses as officers type them in the Partners and Schools sheets.

A cell may hold one address or several ("a@x.gov.uk; b@x.gov.uk"), a line break pasted from
Outlook, an internationalised domain (``lead@pölice.example``) or something that is no address
at all ("call Jo on extension 4"). A reminder must go to every address given, be refused for
the ones no mail server would take — with a message saying which and why — and never stop the
run with a traceback (a header with a line break in it is refused by Python's ``email``).
"""

from __future__ import annotations

import email.utils
import re

# RFC 5322 dot-atom local part, ASCII only: most mail servers refuse anything else
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_SPLIT = re.compile(r"[;,\r\n]+")


def addresses(text: str) -> tuple[list[str], str]:
    """The addresses in a cell, ready for a header (a non-ASCII domain in its ASCII form),
    and what is wrong with the cell if anything ("" when every part is an address)."""
    parts = [_addr_spec(p.strip()) for p in _SPLIT.split(text or "")]
    parts = [p for p in parts if p]
    if not parts:
        return [], "it is blank"
    good: list[str] = []
    for part in parts:
        address, problem = _address(part)
        if problem:
            return good, f"{part[:60]!r} {problem}"
        good.append(address)
    return good, ""


def _addr_spec(part: str) -> str:
    """``Jo Bloggs <jo@x.gov.uk>`` as Outlook pastes it: the address inside the brackets."""
    if "<" in part and part.endswith(">"):
        return email.utils.parseaddr(part)[1] or part
    return part


def _address(part: str) -> tuple[str, str]:
    if part.count("@") != 1 or any(c.isspace() for c in part):
        return "", ("is not an e-mail address (one name@place, no spaces; separate several "
                    "with ;)")
    local, domain = part.split("@")
    if not local.isascii():
        return "", ("has accented or non-Latin letters before the @, which most mail servers "
                    "refuse: give the plain address the partner's IT uses")
    if not _LOCAL.match(local):
        return "", "has characters before the @ that an address cannot have"
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return "", "has a domain (after the @) that is not a valid internet name"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "", "has a domain (after the @) that is not a valid internet name"
    return f"{local}@{ascii_domain.lower()}", ""
