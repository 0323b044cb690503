"""Spot free text that looks like personal data, so validation can raise a Warning.

The Board's workbook holds aggregate figures and *anonymised* commentary. People still paste an
NHS number, a parent's phone number or "DOB 12/03/2015" into a comment now and then, and a case
reference sometimes turns out to be a child's name. None of that may reach a committee paper, so
validation runs :func:`find_personal_data` over every free-text cell and
:func:`looks_like_real_case_ref` over every case reference, and reports a Warning (not an Error:
a person decides, the check only points).

Design choices, and why:

* **Low false positives first.** Commentary is full of counts, percentages, periods
  (``2026-27 Q2``), meeting dates and indicator ids (``MASH01``, ``S11``). A check that cries wolf
  on those gets ignored, so every rule needs strong evidence: NHS numbers must pass the
  modulus-11 check, dates count only next to words such as "DOB" or "born", names only after an
  honorific ("Mrs Smith"), postcodes must have the full outward *and* inward parts.
* **Fast and safe on any input.** It runs over thousands of cells, and cells can hold anything.
  Every pattern is compiled once, has bounded quantifiers or a single unambiguous ``+``, and
  starts with a look-behind that only lets a match begin at the start of a token, so the regex
  engine does linear work per cell and cannot backtrack catastrophically.
* **Never echo the data.** Warnings end up in logs and in the validation sheet, so a :class:`Hit`
  carries the matched text *masked* ("943 *** **19"), and the reasons given by
  :func:`looks_like_real_case_ref` are masked the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "DATE_OF_BIRTH",
    "EMAIL",
    "KINDS",
    "NAME_LIKE",
    "NHS_NUMBER",
    "PHONE",
    "POSTCODE",
    "Hit",
    "find_personal_data",
    "is_valid_nhs_number",
    "looks_like_real_case_ref",
]

NHS_NUMBER = "NHS number"
EMAIL = "email address"
PHONE = "UK phone number"
POSTCODE = "postcode"
DATE_OF_BIRTH = "date of birth"
NAME_LIKE = "name-like"
# In order of precedence: where two kinds of hit overlap, the earlier kind wins.
KINDS = (EMAIL, NHS_NUMBER, PHONE, DATE_OF_BIRTH, POSTCODE, NAME_LIKE)


@dataclass(frozen=True)
class Hit:
    """One stretch of text that looks like personal data.

    ``text`` is masked so that the hit can be shown in a warning without repeating the data;
    ``start``/``end`` index the original string (``original[start:end]`` is the raw match).
    """

    kind: str
    text: str
    start: int
    end: int


# --- building blocks -----------------------------------------------------------------------

_SP = r"[ \u00a0]"  # a space, or the non-breaking space that Word and Excel like to insert
_LETTER = r"[^\W\d_]"  # any letter, accented ones included

# --- NHS number ------------------------------------------------------------------------------
# 10 digits, plain or 3-3-4 with one kind of separator. Not glued to more digits, not part of a
# decimal or a 1,234,567-style figure, not next to another group of 3+ digits (a row of counts
# such as "812 944 1021 1100") and not after a country code (+1 212 555 0123). A short number
# just before is fine: "C1 943 476 5919" is a case reference followed by an NHS number.
_NHS = re.compile(
    r"(?<![0-9])(?<![0-9][.,-])(?<![0-9]{3}[ \u00a0])"
    r"(?<!\+[0-9][ \u00a0])(?<!\+[0-9]{2}[ \u00a0])(?<!\+[0-9]{3}[ \u00a0])"
    r"([0-9]{3})([ \u00a0-]?)([0-9]{3})\2([0-9]{4})"
    r"(?![0-9])(?![.,-][0-9])(?![ \u00a0][0-9]{3})"
)


def is_valid_nhs_number(digits: str) -> bool:
    """True when ``digits`` (10 digits, separators allowed) passes the NHS modulus-11 check.

    Weights 10 down to 2 apply to the first nine digits; the check digit is 11 minus the sum
    modulo 11, where 11 means 0 and 10 means the number can never be issued. A run of one
    repeated digit (``0000000000``, ``1111111111``) passes the arithmetic but is a placeholder,
    not a number anybody holds, so it is rejected too.
    """
    only = [c for c in digits if c in "0123456789"]
    if len(only) != 10 or len(set(only)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(only[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(only[9])


# --- email -----------------------------------------------------------------------------------
# The look-behind makes a match start only at the first character of the local part: without it
# a long run of letters with no "@" would be rescanned from every position (quadratic time).
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+'\-])"
    r"([A-Za-z0-9._%+'\-]{1,64})@([A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9\-])"
)

# --- UK phone number -------------------------------------------------------------------------
# National form 0 + 9 or 10 digits starting 1, 2, 3 or 7 (landlines, non-geographic 03 and
# mobiles; 08/09 are service numbers, not a person's). International form +44 or 0044, with the
# "(0)" people often keep. Spaces, hyphens and brackets between digit groups.
_PHONE = re.compile(
    r"(?<![\w+/.\-])"
    r"(?P<prefix>\+44" + _SP + r"?(?:\(0\)" + _SP + r"?)?|0044" + _SP + r"?|\(0|0)"
    # One optional separator before each digit, built so that it can match in one way only
    # (two optional spaces in a row would let a failing match retry 2**9 ways).
    r"(?P<national>[1237](?:\)?(?:" + _SP + r"-?" + _SP + r"?|-" + _SP + r"?)?[0-9]){8,9})"
    # Not glued to more digits; a space and more digits is fine ("07700 900123 07700 900456").
    r"(?![0-9])(?!-[0-9])(?!\w)"
)
_DIGIT_GROUPS = re.compile(r"[0-9]+")

# --- postcode --------------------------------------------------------------------------------
# The full UK pattern: outward code A9, A99, AA9, AA99, A9A or AA9A with the letters allowed in
# each position, then the inward code 9AA (no C, I, K, M, O or V), plus the Girobank GIR 0AA.
# Case-insensitive and bounded by non-alphanumerics on both sides.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<outward>GIR|"
    r"[A-PR-UWYZ](?:[0-9][0-9]?|[A-HK-Y][0-9][0-9]?|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRV-Y]))"
    r"(?P<space>" + _SP + r"{0,2})"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"[0-9](?:st|nd|rd|th)")  # "Y6 2nd", "KS2 5th": lower-case ordinals

# --- dates -----------------------------------------------------------------------------------
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTH_NUMBER = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ORD = r"(?:st|nd|rd|th)?"
# Day-month-year with /, . or - (the same one twice), ISO year-month-day, "12 March 2015",
# "12th of Mar. 2015", "March 12, 2015". The caller decides whether "March 2015" also counts.
_FULL_DATE = (
    r"(?P<nd>[0-9]{1,2})(?P<ns>[/.\-])(?P<nm>[0-9]{1,2})(?P=ns)(?P<ny>[0-9]{4}|[0-9]{2})"
    r"|(?P<iy>[0-9]{4})-(?P<im>[0-9]{1,2})-(?P<id>[0-9]{1,2})"
    r"|(?P<td>[0-9]{1,2})" + _ORD + r"\s{1,3}(?:of\s{1,3})?(?P<tm>" + _MONTHS + r")\.?,?"
    r"\s{1,3}(?P<ty>[0-9]{4}|'?[0-9]{2})"
    r"|(?P<um>" + _MONTHS + r")\.?\s{1,3}(?P<ud>[0-9]{1,2})" + _ORD + r",?\s{1,3}(?P<uy>[0-9]{4})"
)
_MONTH_YEAR = r"|(?P<mm>" + _MONTHS + r")\.?,?\s{1,3}(?P<my>[0-9]{4})"
_DATE_START = r"(?<![0-9A-Za-z])"
_DATE_END = r"(?![0-9A-Za-z])(?![/.\-][0-9])"

_DATE = re.compile(_DATE_START + r"(?P<date>" + _FULL_DATE + r")" + _DATE_END, re.IGNORECASE)

_DOB_WORDS = r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s{1,3}of\s{1,3}birth\b|birth\s?date\b|born\b)"
_DOB_BEFORE = re.compile(
    _DOB_WORDS
    + r"[\s:=(\-–]{0,4}(?:(?:on|is|was|of|in)\s{1,3})?"
    + _DATE_START
    + r"(?P<date>"
    + _FULL_DATE
    + _MONTH_YEAR
    + r")"
    + _DATE_END,
    re.IGNORECASE,
)
_DOB_AFTER = re.compile(
    _DATE_START + r"(?P<date>" + _FULL_DATE + r")" + _DATE_END + r"[\s,;(\[\-–]{0,4}" + _DOB_WORDS,
    re.IGNORECASE,
)

# --- names -----------------------------------------------------------------------------------
# In free text only a name after an honorific counts: capitalised words are everywhere in
# commentary ("Children's Social Care", "Early Help"). "Mrs X" and "Child A" are the usual
# anonymised forms, so a single letter after the honorific does not count.
_NAME_WORD = r"[A-Z](?:['’][A-Z])?[a-z]" + _LETTER + r"*(?:['’\-]" + _LETTER + r"+){0,3}"
_HONORIFIC_NAME = re.compile(
    r"\b(?P<title>Mrs|Mr|Ms|Miss|Mx|Mstr)\.?" + _SP + r"{1,3}"
    r"(?!(?:Mrs|Mr|Ms|Miss|Mx|Mstr)\b)"  # "Mr Mr" is a typo, not a name
    r"(?P<name>(?:[A-Z]\.?" + _SP + r"{1,2}){0,2}" + _NAME_WORD + r")"
    r"(?!" + _LETTER + r")"
)


# --- masking ---------------------------------------------------------------------------------


def _mask_digits(text: str, keep_start: int = 3, keep_end: int = 2) -> str:
    """Replace the digits of ``text`` with ``*`` except the first and last few."""
    positions = [i for i, c in enumerate(text) if c in "0123456789"]
    hide = set(positions[keep_start : len(positions) - keep_end])
    return "".join("*" if i in hide else c for i, c in enumerate(text))


def _mask_word(word: str) -> str:
    """Keep the first letter of a word so a reader can find it; hide the rest."""
    return word[:1] + "".join("*" if c.isalnum() else c for c in word[1:])


def _mask_except(text: str, start: int, end: int) -> str:
    """Hide every letter and digit of ``text`` outside ``text[start:end]``."""
    return "".join(c if start <= i < end or not c.isalnum() else "*" for i, c in enumerate(text))


# --- detectors -------------------------------------------------------------------------------
# Each yields the Hits of one kind, possibly overlapping other kinds; find_personal_data resolves
# overlaps. Most cells have no "@" and many no digit at all, so whole detectors are skipped.


def _nhs_numbers(text: str) -> Iterator[Hit]:
    for m in _NHS.finditer(text):
        if is_valid_nhs_number(m.group()):
            yield Hit(NHS_NUMBER, _mask_digits(m.group()), m.start(), m.end())


def _emails(text: str) -> Iterator[Hit]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        local, domain = m.group(1), m.group(2)
        if local.startswith(".") or local.endswith(".") or ".." in local:
            continue
        yield Hit(EMAIL, f"{local[0]}***@{domain}", m.start(), m.end())


def _phones(text: str) -> Iterator[Hit]:
    for m in _PHONE.finditer(text):
        national = m.group("national")
        groups = _DIGIT_GROUPS.findall(national)
        digits = "".join(groups)
        # Mobiles and 02/03 numbers have 10 national digits; some 01 areas have 9.
        if len(digits) != 10 and not (digits[0] == "1" and len(digits) == 9):
            continue
        # Real numbers are written in at most four groups of two or more digits; "0 1 2 3 ..."
        # or a row of single digits is not a phone number.
        if len(groups) > 4 or any(len(g) < 2 for g in groups):
            continue
        yield Hit(PHONE, _mask_digits(m.group(), keep_start=4), m.start(), m.end())


def _postcodes(text: str) -> Iterator[Hit]:
    for m in _POSTCODE.finditer(text):
        outward, inward = m.group("outward"), m.group("inward")
        if outward.upper() == "GIR" and inward.upper() != "0AA":
            continue
        if _ORDINAL.fullmatch(inward):
            continue  # "Y6 2nd", "KS2 5th": school years, not an address
        masked = outward + m.group("space") + inward[0] + "**"
        yield Hit(POSTCODE, masked, m.start(), m.end())


def _date_of(m: re.Match[str]) -> tuple[dt.date | None, tuple[int, int]]:
    """The date a date-pattern match stands for (None if impossible), and the year's span.

    Two-digit years are read as the most recent such year up to next year, which suits dates of
    birth of children and of their parents alike.
    """
    g = m.groupdict()  # groups a pattern lacks (month-year in _DATE) read as None
    if g["nd"]:
        day, month, year, year_group = int(g["nd"]), int(g["nm"]), g["ny"], "ny"
    elif g["iy"]:
        day, month, year, year_group = int(g["id"]), int(g["im"]), g["iy"], "iy"
    elif g["td"]:
        day, month, year, year_group = (
            int(g["td"]),
            _MONTH_NUMBER[g["tm"][:3].lower()],
            g["ty"],
            "ty",
        )
    elif g["um"]:
        day, month, year, year_group = (
            int(g["ud"]),
            _MONTH_NUMBER[g["um"][:3].lower()],
            g["uy"],
            "uy",
        )
    else:
        day, month, year, year_group = 1, _MONTH_NUMBER[g["mm"][:3].lower()], g["my"], "my"
    if year is None:  # cannot happen: every alternative of the patterns has a year
        return None, (m.start(), m.start())
    number = int(year.lstrip("'"))
    if len(year.lstrip("'")) == 2:
        this_year = dt.date.today().year
        number += 2000 if 2000 + number <= this_year + 1 else 1900
    span = m.span(year_group)
    try:
        return dt.date(number, month, day), span
    except ValueError:
        return None, span


def _dates_of_birth(text: str) -> Iterator[Hit]:
    this_year = dt.date.today().year
    for pattern in (_DOB_BEFORE, _DOB_AFTER):
        for m in pattern.finditer(text):
            day, (y0, y1) = _date_of(m)
            if day is None or not 1900 <= day.year <= this_year + 1:
                continue
            start, end = m.span("date")
            masked = _mask_except(text[start:end], y0 - start, y1 - start)
            yield Hit(DATE_OF_BIRTH, masked, start, end)


def _names(text: str) -> Iterator[Hit]:
    for m in _HONORIFIC_NAME.finditer(text):
        title = text[m.start() : m.start("name")]
        masked = " ".join(_mask_word(w) for w in m.group("name").split())
        yield Hit(NAME_LIKE, title + masked, m.start(), m.end())


_DETECTORS: tuple[tuple[str, Callable[[str], Iterator[Hit]]], ...] = (
    (EMAIL, _emails),
    (NHS_NUMBER, _nhs_numbers),
    (PHONE, _phones),
    (DATE_OF_BIRTH, _dates_of_birth),
    (POSTCODE, _postcodes),
    (NAME_LIKE, _names),
)
_HAS_DIGIT = re.compile(r"[0-9]")


def _as_text(value: object) -> str:
    """Cells arrive as str, int, float or None; an NHS number typed into Excel becomes a float."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def find_personal_data(text: str) -> list[Hit]:
    """Every stretch of ``text`` that looks like personal data, in order of position.

    Kinds are NHS numbers (valid check digit only), email addresses, UK phone numbers, UK
    postcodes, dates next to "DOB"/"born"/"date of birth", and names after an honorific
    ("name-like"). Where two kinds overlap, the one earlier in :data:`KINDS` wins, so a phone
    number is not also reported as a postcode or an NHS number. A bare date is not a hit:
    commentary dates meetings and audits all the time.
    """
    text = _as_text(text)
    if not text:
        return []
    has_digit = _HAS_DIGIT.search(text) is not None
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Hit] = []
    for kind, detect in _DETECTORS:
        if not has_digit and kind != EMAIL and kind != NAME_LIKE:
            continue
        for hit in detect(text):
            # Kept hits never overlap, so sorted by start they are sorted by end as well.
            i = bisect_right(starts, hit.start)
            if (i and ends[i - 1] > hit.start) or (i < len(starts) and starts[i] < hit.end):
                continue
            starts.insert(i, hit.start)
            ends.insert(i, hit.end)
            kept.insert(i, hit)
    return kept


# --- case references -------------------------------------------------------------------------

# Words that make up anonymised references and review names; a capitalised word outside this
# list is taken as a possible name. Compared in lower case.
_CASE_WORDS_TEXT = """
    case cases child children family families baby babies infant unborn sibling siblings
    young person people adult adults mother father parent parents carer carers boy girl twin
    twins household group cohort sample dip review reviews rapid serious incident learning
    practice safeguarding local national multi agency audit audits thematic themed lessons
    report partnership board panel file ref reference no number id new old extended initial
    strategy meeting conference plan protection need needs looked after care leaver leavers
    neglect abuse exploitation domestic mental health missing education school early help
    court police health social work worker team area north south east west central
    service services assessment referral contact section order placement foster fostering
    residential home kinship adoption guardianship special private disability disabled
    complex transition teenage adolescent toddler newborn prebirth pre-birth birth death
    sudden unexpected infancy injury harm sexual physical emotional criminal county lines
    trafficking modern slavery online self suicide bruising fracture sleep co-sleeping
    one two three four five six seven eight nine ten eleven twelve
    first second third fourth fifth sixth seventh eighth ninth tenth
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    spring summer autumn winter quarter year part phase wave pilot draft final closed open
"""
_CASE_WORDS = frozenset(_CASE_WORDS_TEXT.split())
# Acronyms of review types and services that may appear in capitals next to each other.
_ACRONYMS_TEXT = """
    macfa lcspr cspr cspp spr scr dhr sar lsar lscb lscp scp mash cin cp cpp lac cla slac
    nhs ico icb cic ehcp send yot yjs cse cce fgm dsl lado mappa marac camhs cafcass ofsted
    ehm ehat caf jtai ilacs sen adhd asd
"""
_ACRONYMS = frozenset(_ACRONYMS_TEXT.split())
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|[0-9]+|[^\w\s]|\s+")
_DIGIT_RUN = re.compile(r"[0-9]{6,}")
_KIND_REASON = {
    NHS_NUMBER: "contains an NHS number",
    EMAIL: "contains an email address",
    PHONE: "contains a phone number",
    POSTCODE: "contains a postcode",
    DATE_OF_BIRTH: "contains a date of birth",
    NAME_LIKE: "contains a person's name",
}


def _is_name_word(word: str) -> bool:
    """A capitalised word (or an all-capitals one with a vowel) that is not a case-ref word."""
    letters = word.replace("'", "").replace("’", "").replace("-", "")
    base = re.sub(r"['’]s$", "", word.lower())  # "Children's" is "children"
    if len(letters) < 2 or base in _CASE_WORDS or base in _ACRONYMS:
        return False
    if word.isupper():
        return len(letters) >= 3 and any(c in "AEIOUY" for c in letters)
    return word[0].isupper() and any(c.islower() for c in letters)


def _name_in(ref: str) -> str | None:
    """The name-like part of a case reference, masked, or None.

    A name is two or more name words in a row ("John Smith", "Smith, John", "JOHN SMITH"), an
    initial and a name word ("J Smith", "J. Smith"), or a reference that is nothing but one name
    word ("Smith"). One name word next to a case word ("Child Ruby") reads as a pseudonym.
    """
    tokens = [t for t in _TOKEN.findall(ref) if t.strip()]
    words = [t for t in tokens if t[0].isalpha()]
    if len(tokens) == 1 and len(words) == 1 and _is_name_word(words[0]) and not words[0].isupper():
        return _mask_word(words[0])
    run: list[str] = []
    for token in tokens:
        if token[0].isalpha() and (_is_name_word(token) or (len(token) == 1 and token.isupper())):
            run.append(token)
        elif token in {",", "."} and run:
            continue  # "Smith, John", "J. Smith"
        else:
            if _is_name_run(run):
                return " ".join(_mask_word(w) for w in run)
            run = []
    return " ".join(_mask_word(w) for w in run) if _is_name_run(run) else None


def _is_name_run(run: list[str]) -> bool:
    """Two words in a row of which at least one is a real name word, not just initials."""
    return len(run) >= 2 and any(len(w) > 1 for w in run)


def looks_like_real_case_ref(ref: str) -> str | None:
    """Why ``ref`` does not look like an anonymised case reference, or None if it does.

    Anonymised references look like ``C1``, ``Case 2``, ``Child A`` or ``MACFA-03``. A reference
    that holds a person's name, an NHS number, a date (a date in a reference is usually a date of
    birth), contact details, or a long number (a case-management system id identifies the child
    as surely as a name) defeats the anonymisation of everything filed under it. The reason is
    worded for the person who typed it, and never repeats the data unmasked.
    """
    text = _as_text(ref).strip()
    if not text:
        return None
    hits = find_personal_data(text)
    if hits:
        hit = hits[0]
        return f"{_KIND_REASON[hit.kind]} ({hit.text})"
    for m in _DATE.finditer(text):
        day, (y0, y1) = _date_of(m)
        if day is not None:
            start, end = m.span("date")
            masked = _mask_except(text[start:end], y0 - start, y1 - start)
            return f"contains a date ({masked}), which may be a date of birth"
    for m in _NHS.finditer(text):
        return (
            f"contains a 10-digit number ({_mask_digits(m.group())}) that looks like a mistyped "
            "NHS number"
        )
    run = _DIGIT_RUN.search(text)
    if run:
        return (
            f"contains a long number ({_mask_digits(run.group())}), which looks like a case "
            "management system id rather than an anonymised reference such as C1 or Case 2"
        )
    name = _name_in(text)
    if name:
        return f"looks like a person's name ({name}); use an anonymised reference such as C1"
    return None
