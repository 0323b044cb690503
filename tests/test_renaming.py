"""Renaming reaches every word: a partnership that renames everything in [names] alone gets
papers, sheet intros, a Start sheet and a Framework sheet with none of the default names. The
demo is built with synthetic partners (partner names are data, not names) and every paper is
rendered for real."""

from __future__ import annotations

import re
import zipfile

import docx
import pytest
from python_calamine import CalamineWorkbook

from qa_xl import papers
from qa_xl.example import demo
from qa_xl.framework import load_config

RENAMED = {
    "partnership": "Northshire Safeguarding Children Partnership",
    "partnership_short": "NSCP", "partnership_type": "safeguarding partnership",
    "partnership_type_full": "safeguarding partnership", "area": "Northshire",
    "board": "Partnership", "committee": "Quality Assurance Subgroup",
    "committee_short": "QAS", "executive_committee": "Leadership Group",
    "cdop": "Child Death Review Partnership", "cdop_short": "CDRP",
    "serious_review": "Child Safeguarding Practice Review", "serious_review_short": "CSPR",
    "serious_review_committee": "Case Review Group", "partnership_review": "Rapid review",
    "law_policy_committee": "Procedures Group", "statutory_guidance": "Working Together 2023",
    "statutory_guidance_title": "Working Together to Safeguard Children 2023",
    "local_authority": "Northshire County Council",
    "learning_framework": "Learning from Practice Framework",
    "school_standards_team": "Education Safeguarding Team",
    "school_standards_team_short": "EST", "regional_network": "Northern Network",
}
# the framework quotes the law of 2015 word for word; a quotation keeps its words
QUOTED_LAW = ("'monitor and evaluate the effectiveness of what is done by the local authority "
              "and Board partners individually and collectively",
              "Regulation 5c of the LSCB Regulations 2006")


def _old_names() -> dict[str, re.Pattern]:
    names = load_config().names
    assert set(names) == set(RENAMED), "a new name: rename it here too"
    return {value: re.compile(rf"(?<!\w){re.escape(value)}(?!\w)") for value in
            names.values()}


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("renamed")
    config_file = folder / "config.toml"
    config_file.write_text("[names]\n" + "".join(f'{k} = "{v}"\n' for k, v in RENAMED.items()),
                           "utf-8")
    result = demo(folder / "demo", load_config(config_file), partners=6, quarters=12, seed=3)
    return result


def _docx_texts(path) -> list[str]:
    document = docx.Document(path)
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    for section in document.sections:
        texts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    props = document.core_properties
    texts += [props.title, props.subject, props.author, props.keywords]
    texts += [p.get("descr", "") + " " + p.get("title", "") for p in
              papers.iter_pictures(document)]
    return texts


def _workbook_texts(path) -> list[str]:
    book = CalamineWorkbook.from_path(str(path))
    texts = []
    for name in book.sheet_names:
        texts += [str(v) for row in book.get_sheet_by_name(name).to_python() for v in row
                  if isinstance(v, str)]
    with zipfile.ZipFile(path) as package:
        texts.append(package.read("docProps/core.xml").decode())
    return texts


def _found(texts: list[str]) -> list[str]:
    hits = []
    for text in texts:
        for quote in QUOTED_LAW:
            text = text.replace(quote, "")
        hits += [f"{old!r} in {text[:90]!r}" for old, pattern in _old_names().items()
                 if pattern.search(text)]
    return hits


def test_the_renamed_papers_say_none_of_the_default_names(renamed):
    assert len(renamed.papers) == 2
    every = [*renamed.papers,
             papers.build_yearly_report(renamed.workbook, today=renamed.today),
             papers.build_programme_review(renamed.workbook, today=renamed.today)]
    for paper in every:
        assert _found(_docx_texts(paper)) == [], paper.name
    texts = _docx_texts(renamed.papers[1])
    assert "Summary for the Partnership" in texts
    assert any(t.startswith("Partnership meeting:") for t in texts)


def test_the_renamed_workbook_says_none_of_the_default_names(renamed):
    texts = _workbook_texts(renamed.workbook)
    assert _found(texts) == []
    assert any("Partnership's performance dataset" in t for t in texts)  # a sheet's intro
    assert any(t.startswith("5. Build the QAS pack and the Partnership report") for t in texts)
    assert "Partnership:" in " ".join(texts)  # the Framework sheet's steps


def test_the_check_finds_a_default_name():
    assert _found(["Risks needing the Board's attention"]) == [
        "'Board' in \"Risks needing the Board's attention\""]
    assert _found(["Regulation 5c of the LSCB Regulations 2006"]) == []
