"""Tests of the personal-data check run over free text and case references.

The check only raises Warnings, but a noisy one gets ignored and a slow or hanging one blocks
validation of a whole workbook, so the tests cover three things: it finds what it should, it
stays quiet on ordinary Board commentary, and it is total and linear-time on any input.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from qa_xl.core.personal_data import (
    DATE_OF_BIRTH,
    EMAIL,
    KINDS,
    NAME_LIKE,
    NHS_NUMBER,
    PHONE,
    POSTCODE,
    Hit,
    find_personal_data,
    is_valid_nhs_number,
    looks_like_real_case_ref,
)

# --- NHS numbers computed here, independently of the module ---------------------------------


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when no valid number exists."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def with_check_digit(first_nine: str) -> str:
    check = nhs_check_digit(first_nine)
    assert check is not None
    return first_nine + str(check)


def with_wrong_check_digit(first_nine: str) -> str:
    check = nhs_check_digit(first_nine)
    assert check is not None
    return first_nine + str((check + 1) % 10)


def spaced(number: str, sep: str = " ") -> str:
    return f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"


def kinds(text: str) -> list[str]:
    return [hit.kind for hit in find_personal_data(text)]


VALID_NHS = with_check_digit("943476591")  # 9434765919, the NHS's own example
# Nine digits whose check digit would be 10: no valid NHS number starts with them.
NO_VALID_CHECK = next(
    f"{n:09d}" for n in range(400_000_000, 400_100_000) if nhs_check_digit(f"{n:09d}") is None
)


def test_reference_check_digit() -> None:
    assert VALID_NHS == "9434765919"
    assert nhs_check_digit(NO_VALID_CHECK) is None


@pytest.mark.parametrize("sep", ["", " ", "-", "\u00a0"])
def test_nhs_number_with_valid_check_digit_is_a_hit(sep: str) -> None:
    text = f"Child seen, NHS no. {spaced(VALID_NHS, sep)} - referred on."
    (hit,) = find_personal_data(text)
    assert hit.kind == NHS_NUMBER
    assert text[hit.start : hit.end] == spaced(VALID_NHS, sep)
    # masked: the first three and the last two digits only, separators kept
    assert hit.text == spaced("943*****19", sep)


def test_nhs_number_masked_as_documented() -> None:
    (hit,) = find_personal_data("NHS 943 476 5919")
    assert hit == Hit(NHS_NUMBER, "943 *** **19", 4, 16)


@given(st.integers(min_value=0, max_value=999_999_999), st.sampled_from(["", " ", "-"]))
def test_any_valid_nhs_number_is_found(prefix: int, sep: str) -> None:
    nine = f"{prefix:09d}"
    check = nhs_check_digit(nine)
    number = nine + str(check) if check is not None else None
    if number is None or len(set(number)) == 1:
        return
    text = f"NHS number {spaced(number, sep)} on file"
    assert kinds(text) == [NHS_NUMBER]  # even when it also reads as a phone number (01...)


@given(st.integers(min_value=400_000_000, max_value=799_999_999), st.sampled_from(["", " ", "-"]))
def test_wrong_check_digit_is_not_an_nhs_number(prefix: int, sep: str) -> None:
    nine = f"{prefix:09d}"
    if nhs_check_digit(nine) is None:
        assert all(not is_valid_nhs_number(nine + str(d)) for d in range(10))
        return
    text = f"ref {spaced(with_wrong_check_digit(nine), sep)} on file"
    assert NHS_NUMBER not in kinds(text)


def test_check_digit_of_ten_is_never_valid() -> None:
    for last in "0123456789":
        assert not is_valid_nhs_number(NO_VALID_CHECK + last)
        assert NHS_NUMBER not in kinds(f"NHS {NO_VALID_CHECK}{last}")


def test_placeholder_runs_of_one_digit_are_not_nhs_numbers() -> None:
    # Both pass the arithmetic; neither is a number anybody holds.
    assert not is_valid_nhs_number("0000000000")
    assert not is_valid_nhs_number("1111111111")


@pytest.mark.parametrize(
    "text",
    [
        f"1{VALID_NHS}",
        f"{VALID_NHS}2",
        f"812 {spaced(VALID_NHS)}",
        f"{spaced(VALID_NHS)} 1100",
        f"7-{VALID_NHS}",
        f"{spaced(VALID_NHS, '-')}-12",
        f"0.{VALID_NHS}",
        f"{VALID_NHS}.5",
        f"+1 {spaced(VALID_NHS)}",
        f"+44 {spaced(VALID_NHS)}",
        f"+353 {spaced(VALID_NHS)}",
    ],
)
def test_nhs_number_inside_a_longer_number_is_not_a_hit(text: str) -> None:
    assert NHS_NUMBER not in kinds(text)


# --- email, phone, postcode ------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["j.smith@wolverhampton.gov.uk", "jane_doe+school@example.org", "A.N.Other@nhs.net"],
)
def test_email_addresses(email: str) -> None:
    text = f"Contact {email}, please."
    (hit,) = find_personal_data(text)
    assert hit.kind == EMAIL
    assert text[hit.start : hit.end] == email
    assert hit.text.startswith(email[0] + "***@")


@pytest.mark.parametrize("text", ["Q&PC @ 10am", "score @ 58%", "a@b", "me@localhost"])
def test_not_email_addresses(text: str) -> None:
    assert EMAIL not in kinds(text)


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700 900 123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "01902 551199",
        "(01902) 551199",
        "0121 496 0000",
        "0121-496-0000",
        "+44 121 496 0000",
        "020 7946 0958",
        "0300 123 4567",
        "016977 4321",
    ],
)
def test_uk_phone_numbers(phone: str) -> None:
    text = f"Mum's number: {phone}."
    (hit,) = find_personal_data(text)
    assert hit.kind == PHONE
    assert text[hit.start : hit.end] == phone
    assert sum(c.isdigit() for c in hit.text) <= 6  # most digits masked


def test_two_phone_numbers_in_a_row() -> None:
    assert kinds("07700 900123 07700 900456") == [PHONE, PHONE]


@pytest.mark.parametrize(
    "text",
    [
        "0800 123 4567",  # freephone, a service not a person
        "0 1 2 3 4 5 6 7 8 9",
        "01/02/2026",
        "ratio 0.1234567890",
        "07700 9001234567",
        "2026-01-21",
    ],
)
def test_not_uk_phone_numbers(text: str) -> None:
    assert PHONE not in kinds(text)


@pytest.mark.parametrize(
    ("postcode", "masked"),
    [
        ("WV1 1RL", "WV1 1**"),
        ("wv1 1rl", "wv1 1**"),
        ("WV11RL", "WV11**"),
        ("B33 8TH", "B33 8**"),
        ("M1 1AE", "M1 1**"),
        ("CR2 6XH", "CR2 6**"),
        ("DN55 1PT", "DN55 1**"),
        ("W1A 0AX", "W1A 0**"),
        ("EC1A 1BB", "EC1A 1**"),
        ("GIR 0AA", "GIR 0**"),
    ],
)
def test_postcodes(postcode: str, masked: str) -> None:
    text = f"Family moved to {postcode}."
    (hit,) = find_personal_data(text)
    assert (hit.kind, hit.text, text[hit.start : hit.end]) == (POSTCODE, masked, postcode)


@pytest.mark.parametrize(
    "text",
    [
        "Q1 2026",
        "2026-27 Q1",
        "H1",
        "2026-27 H1 2027",
        "WV postcode area",
        "S11 audit",
        "Y6 2nd term",
        "KS2 5th",
        "met at 2pm",
        "GIR 0AB",  # only GIR 0AA exists
        "AWV1 1RL",  # not at a word boundary
        "WV1 1RLX",
        "QA1 1AA",  # Q never starts a postcode
        "WI1 1AA",  # I is never second
        "WV1 1CA",  # C is never in the inward code
    ],
)
def test_not_postcodes(text: str) -> None:
    assert POSTCODE not in kinds(text)


# --- dates of birth --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date", "masked"),
    [
        ("DOB 12/03/2015", "12/03/2015", "**/**/2015"),
        ("DOB: 12/03/2015", "12/03/2015", "**/**/2015"),
        ("dob 1.3.15", "1.3.15", "*.*.15"),
        ("d.o.b. 2015-03-12", "2015-03-12", "2015-**-**"),
        ("D.O.B - 12-03-2015", "12-03-2015", "**-**-2015"),
        ("date of birth 12 March 2015", "12 March 2015", "** ***** 2015"),
        ("Date of Birth: 3rd of Mar. 2016", "3rd of Mar. 2016", "*** ** ***. 2016"),
        ("born on March 12, 2015", "March 12, 2015", "***** **, 2015"),
        ("born 12/03/2015", "12/03/2015", "**/**/2015"),
        ("born in March 2015", "March 2015", "***** 2015"),
        ("12/03/2015 (DOB)", "12/03/2015", "**/**/2015"),
        ("seen 12/03/2015, d.o.b.", "12/03/2015", "**/**/2015"),
    ],
)
def test_dates_of_birth(text: str, date: str, masked: str) -> None:
    (hit,) = find_personal_data(text)
    assert (hit.kind, text[hit.start : hit.end], hit.text) == (DATE_OF_BIRTH, date, masked)


@pytest.mark.parametrize(
    "text",
    [
        "Q&PC met on 12/03/2026",
        "audit met 12/03/2026",
        "Review completed 2026-03-12.",
        "DOB recorded in 95% of referrals",
        "DOB 31/02/2015",  # no such day
        "DOB 12/13/2015",  # no such month
        "born 2015",  # a year is not a date of birth
        "Unborn 12/03/2026 pre-birth conference",
        "Born into Care report 12/03/2026",
    ],
)
def test_not_dates_of_birth(text: str) -> None:
    assert DATE_OF_BIRTH not in kinds(text)


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Mrs Smith attended", "Mrs S****"),
        ("Mr. J. Smith attended", "Mr. J. S****"),
        ("Ms Jane Smith", "Ms J***"),
        ("Miss O'Brien", "Miss O'*****"),
        ("Mr Smith-Jones", "Mr S****-*****"),
    ],
)
def test_names_after_an_honorific(text: str, masked: str) -> None:
    (hit,) = find_personal_data(text)
    assert (hit.kind, hit.text) == (NAME_LIKE, masked)


@pytest.mark.parametrize(
    "text",
    ["Mrs X attended", "Mother (Mrs A) attended", "Children's Social Care", "Early Help", "Mr Mr"],
)
def test_not_names(text: str) -> None:
    assert NAME_LIKE not in kinds(text)


# --- ordinary commentary: no hits ------------------------------------------------------------

ORDINARY_COMMENTARY = [
    "Contacts rose from 812 to 944 in 2026-27 Q2",
    "7 of 12 cases (58%)",
    "target 0.85",
    "Q&PC met on 12/03/2026",
    "S11 audit",
    "WV postcode area",
    "MASH01",
    "MASH01 fell to 0.72 against a target of 0.85 (2026-27 H1).",
    "Re-referrals within 12 months: 21.4% (England 22.4%, statistical neighbours 23.1%).",
    "CP plans 2nd time or more: 14 of 96; LAC 412 → 398 between 2025-26 Q4 and 2026-27 Q1.",
    "Audit of 25 cases, 12/03/2026 to 15/04/2026; 3 rated Good, 1 Requires Improvement.",
    "Action EH-04 owner: Head of Early Help; due 30/06/2026. Board paper v2.1.",
    "Total spend £1,234,567 (budget £1,250,000); 1234567890 is not a count we publish.",
    "Rapid review (RR-2026-03) held within 15 working days; CSPR decision sent to the Panel.",
    "SPR Child Q: learning event 2026-05-14 at 10am; Y6 and KS2 cohorts; CAMHS wait 18 wks.",
    "",
    "   ",
]


@pytest.mark.parametrize("text", ORDINARY_COMMENTARY)
def test_ordinary_commentary_gives_no_hits(text: str) -> None:
    assert find_personal_data(text) == []


def test_hits_in_order_of_position_and_precedence() -> None:
    text = (
        f"Mrs Smith (DOB 12/03/2015, NHS {spaced(VALID_NHS)}) of WV1 1RL, "
        "tel 07700 900123, jane.smith@example.org"
    )
    assert kinds(text) == [NAME_LIKE, DATE_OF_BIRTH, NHS_NUMBER, POSTCODE, PHONE, EMAIL]


def test_nhs_number_after_a_short_number() -> None:
    assert kinds(f"C1 {VALID_NHS}") == [NHS_NUMBER]
    assert kinds(f"Case 12 {spaced(VALID_NHS)} seen twice") == [NHS_NUMBER]


def test_overlapping_kinds_reported_once() -> None:
    # A UK number in +44 form holds a 3-3-4 group: the phone wins, no NHS number as well.
    text = "+44 121 496 0000"
    assert kinds(text) == [PHONE]


def test_cells_that_are_not_strings() -> None:
    assert kinds(float(VALID_NHS)) == [NHS_NUMBER]  # type: ignore[arg-type]
    assert find_personal_data(None) == []  # type: ignore[arg-type]
    assert find_personal_data(58) == []  # type: ignore[arg-type]


# --- case references -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "C1",
        "C12",
        "Case 2",
        "case 14",
        "MACFA-03",
        "Child A",
        "Child Q",
        "Child Ruby",  # a pseudonym next to a case word
        "Family B",
        "Sibling group 3",
        "LCSPR 2024-01",
        "RR-2026-03",
        "SPR Child Q",
        "Baby C (unborn)",
        "Children's Services C1",
        "CAMHS case 3",
        "",
        None,
    ],
)
def test_anonymised_case_refs(ref: str) -> None:
    assert looks_like_real_case_ref(ref) is None


@pytest.mark.parametrize(
    ("ref", "reason_contains"),
    [
        ("John Smith", "person's name"),
        ("Smith, John", "person's name"),
        ("J. Smith", "person's name"),
        ("J Smith", "person's name"),
        ("JOHN SMITH", "person's name"),
        ("Case John Smith", "person's name"),
        ("Smith", "person's name"),
        ("Mrs Smith", "person's name"),
        (f"Case {VALID_NHS}", "NHS number"),
        (spaced(VALID_NHS), "NHS number"),
        (float(VALID_NHS), "NHS number"),
        (f"C1 {with_wrong_check_digit('943476591')}", "mistyped NHS number"),
        ("C1 DOB 12/03/2015", "date of birth"),
        ("Case 12/03/2015", "date"),
        ("C2 2015-03-12", "date"),
        ("Mosaic 1234567", "long number"),
        ("C1 WV1 1RL", "postcode"),
        ("C1 07700 900123", "phone number"),
        ("j.smith@example.org", "email address"),
    ],
)
def test_real_looking_case_refs(ref: str, reason_contains: str) -> None:
    reason = looks_like_real_case_ref(ref)
    assert reason is not None
    assert reason_contains in reason


@pytest.mark.parametrize("ref", ["John Smith", f"Case {VALID_NHS}", "Case 12/03/2015"])
def test_reasons_do_not_repeat_the_data(ref: str) -> None:
    reason = looks_like_real_case_ref(ref)
    assert reason is not None
    assert "Smith" not in reason and "John" not in reason
    assert VALID_NHS not in reason and "12/03" not in reason


# --- totality and speed ----------------------------------------------------------------------


def check_hits(text: str, hits: list[Hit]) -> None:
    """Hits are in order, inside the text, of a known kind and never overlap."""
    previous_end = 0
    for hit in hits:
        assert hit.kind in KINDS
        assert previous_end <= hit.start < hit.end <= len(text)
        assert hit.text and "*" in hit.text  # always masked
        previous_end = hit.end


@settings(max_examples=300)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    check_hits(text, find_personal_data(text))
    reason = looks_like_real_case_ref(text)
    assert reason is None or isinstance(reason, str)


# Fragments that feed every pattern: digits, separators, honorifics, DOB words, @, postcodes.
PIECES = st.sampled_from(
    [
        "0",
        "07",
        "1",
        "9",
        "44",
        "+",
        "(",
        ")",
        "-",
        "/",
        ".",
        ",",
        " ",
        "\u00a0",
        "@",
        "a",
        "Z",
        "WV1",
        "1RL",
        "GIR",
        "Mr",
        "Mrs ",
        "Smith",
        "DOB",
        "born ",
        "d.o.b",
        "March",
        "12th",
        "of ",
        "2015",
        "x.org",
        "\n",
        "é",
        "_",
    ]
)
FRAGMENTS = st.lists(PIECES, min_size=1, max_size=30).map("".join)
# Worst cases for the regular expressions: repeated digits, separators, honorifics and
# near-dates, which a pattern that backtracks would take quadratic time over.
UNITS = ["0", "a", "a@", "b.", "1 ", "01 22 ", "0-", "+44 ", "(0", "DOB ", "Mr ", "Mr Aaaa ",
         "WV1 1RL ", "12/03/2015 ", "DOB 12/03/2015 ", "943 476 5919 ", "07700 900123 ", "é1 "]


@settings(max_examples=60, deadline=None)
@given(FRAGMENTS | st.text(min_size=1, max_size=40))
def test_ten_kilobytes_of_anything_gives_sound_hits(fragment: str) -> None:
    """Any text: every hit is real, masked and in order (speed: bench/bench_personal_data.py
    and the instruction counts below, never the wall clock)."""
    text = (fragment * (10_000 // len(fragment) + 1))[:10_000]
    hits = find_personal_data(text)
    looks_like_real_case_ref(text)
    check_hits(text, hits)


SIZES = (1_500, 6_000)
SCAN = f"""
import sys, zlib
from qa_xl.core.personal_data import find_personal_data, looks_like_real_case_ref
for unit in sys.argv[1:]:
    for n in {SIZES}:
        text = (unit * (n // len(unit) + 1))[:n]
        find_personal_data(text)
        looks_like_real_case_ref(text)
        zlib.crc32(b"")  # callgrind dumps its counts here: one dump per scan
"""


def regex_work(tmp_path: Path) -> dict[str, tuple[int, int]]:
    """Machine instructions the regular-expression engine executes on each unit repeated to
    each size, counted by valgrind's callgrind in one run: the same count on a busy machine
    and an idle one, unlike a stopwatch."""
    valgrind = shutil.which("valgrind")
    assert valgrind, "valgrind is needed (.ci/run installs it)"
    out = tmp_path / "scan"
    run = subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
                          "--toggle-collect=sre_ucs*", "--dump-before=zlib_crc32*",
                          sys.executable, "-c", SCAN, *UNITS], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    counts = []
    for i in range(1, 2 * len(UNITS) + 1):
        totals = re.search(r"^totals:\s*(\d+)", out.with_name(f"scan.{i}").read_text(), re.M)
        assert totals, f"callgrind dump {i} has no totals"
        counts.append(int(totals[1]))
    return {unit: (counts[2 * i], counts[2 * i + 1]) for i, unit in enumerate(UNITS)}


def test_work_grows_linearly(tmp_path: Path) -> None:
    """Four times the text takes four times the regex engine's work, not sixteen: counted in
    instructions, so the test cannot fail because the machine is busy."""
    work = regex_work(tmp_path)
    assert min(small for small, _ in work.values()) > 50_000, (
        f"callgrind saw almost no regex work ({work}): is Python built without symbols?")
    quadratic = {unit: (small, large) for unit, (small, large) in work.items()
                 if large >= 5 * small}
    assert quadratic == {}, "more than linear growth (instructions: the text, then 4x it)"
