"""Whatever an officer adds to the master survives every headless write, byte for byte."""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path

import matplotlib
import openpyxl
from lxml import etree
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill

from qa_xl.collect.consolidate import rollup
from qa_xl.validation import validate

matplotlib.use("Agg")


def officer_additions(path: Path) -> None:
    """A chart, a picture, a comment, a conditional format and a sheet of their own."""
    import matplotlib.pyplot as plt

    book = openpyxl.load_workbook(path)
    mine = book.create_sheet("My analysis")
    mine["A1"] = "Notes for the chair"
    for i in range(1, 6):
        mine.append([f"Q{i}", i * 10])
    chart = BarChart()
    chart.add_data(Reference(mine, min_col=2, min_row=2, max_row=6))
    mine.add_chart(chart, "D2")
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([1, 3, 2])
    png = io.BytesIO()
    fig.savefig(png, format="png")
    plt.close(fig)
    png.seek(0)
    book["Risks"].add_image(Image(png), "P3")
    book["Indicators"]["A1"].comment = Comment("Checked with the performance team", "Officer")
    book["Actions"].conditional_formatting.add(
        "H4:H200", CellIsRule(operator="equal", formula=['"Completed"'],
                              fill=PatternFill(bgColor="C6EFCE")))
    book.save(path)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


def _targets(rels: bytes, base: str) -> dict[str, str]:
    root = etree.fromstring(rels)
    return {rel.get("Id"): rel.get("Target").lstrip("/") if rel.get("Target").startswith("/")
            else posixpath.normpath(posixpath.join(base, rel.get("Target")))
            for rel in root.findall("p:Relationship", NS)}


def sheet_parts(path: Path, sheets: set[str]) -> set[str]:
    """The worksheet parts of the named sheets, with their rels and table parts."""
    names = parts(path)
    by_id = _targets(names["xl/_rels/workbook.xml.rels"], "xl")
    out = set()
    for sheet in etree.fromstring(names["xl/workbook.xml"]).iterfind(".//m:sheet", NS):
        if sheet.get("name") not in sheets:
            continue
        part = by_id[sheet.get(f"{{{NS['r']}}}id")]
        rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        out |= {part, rels}
        if rels in names:
            out |= {t for t in _targets(names[rels], posixpath.dirname(part)).values()
                    if "/tables/" in t}
    return out


def test_officer_additions_survive_validate_and_rollup(demo_master):
    officer_additions(demo_master)
    before = parts(demo_master)
    assert any(n.startswith("xl/charts/") for n in before)
    assert any(n.startswith("xl/media/") for n in before)
    assert any("comments" in n for n in before)

    validate(demo_master, write=True)
    rollup(demo_master)

    after = parts(demo_master)
    # Rollup (and validate --write) also write the derived columns of Timetable, Risks and
    # Actions (next due, score, due status).
    written = {"Start", "Validation", "Rollup", "Timetable", "Risks", "Actions"}
    allowed = sheet_parts(demo_master, written) | {
        "xl/workbook.xml", "xl/calcChain.xml", "docProps/app.xml", "docProps/core.xml"}
    assert set(after) >= set(before) - {"xl/calcChain.xml"}
    changed = {n for n in before if n in after and before[n] != after[n]}
    assert changed <= allowed, f"parts changed that qa_xl does not own: {changed - allowed}"
    for name in before:
        if name.startswith(("xl/charts/", "xl/media/", "xl/drawings/", "xl/comments")):
            assert after[name] == before[name], name
    risks_sheet = next(iter(sheet_parts(demo_master, {"Risks"}) - {
        p for p in after if "_rels" in p or "/tables/" in p}))
    assert b"<drawing " in after[risks_sheet]  # the picture on the Risks sheet is still there
    book = openpyxl.load_workbook(demo_master)
    assert len(book["Risks"]._images) == 1
    assert "My analysis" in book.sheetnames
    assert book["Indicators"]["A1"].comment.text == "Checked with the performance team"
    assert book["Actions"].conditional_formatting
