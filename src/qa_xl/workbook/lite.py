"""xlwings Lite's code inside a workbook: ``qa-xl new --lite`` writes a macro-free master
that opens with the buttons' scripts already in Lite's editor.

xlwings Lite is an Office.js add-in; like every such add-in it keeps its data in the
workbook's *web extension* part (``xl/webextensions/webextension1.xml``, linked from the
package through ``xl/webextensions/taskpanes.xml``). Its properties hold JSON values; Lite
keeps its two files there as ``main.py`` and ``requirements.txt`` (and its own
``pyodideVersion`` and ``addinVersion``, which it writes itself). The add-in is named by its
Office store id (AppSource ``WA200008175``), as in workbooks saved by Lite: seen in public
workbooks saved by Lite in 2025, not documented by xlwings — the README's check list has the
step that confirms a build opens with the code.

The files are ``xl_macros/lite/main.py`` and ``requirements.txt`` (the same ones an officer
pastes by hand into a workbook of their own).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path

from lxml import etree

from qa_xl.core.errors import UnusableInput
from qa_xl.core.files import shipped_folder

STORE_ID = "WA200008175"  # xlwings Lite in Microsoft's add-in store (AppSource)
WE = "http://schemas.microsoft.com/office/webextensions/webextension/2010/11"
WETP = "http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
TASKPANES_REL = "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes"
WEBEXT_REL = "http://schemas.microsoft.com/office/2011/relationships/webextension"
TASKPANES = "xl/webextensions/taskpanes.xml"
WEBEXT = "xl/webextensions/webextension1.xml"
TYPES = {f"/{TASKPANES}": "application/vnd.ms-office.webextensiontaskpanes+xml",
         f"/{WEBEXT}": "application/vnd.ms-office.webextension+xml"}
FILES = ("main.py", "requirements.txt")


def lite_sources() -> dict[str, str]:
    """Lite's two files, as shipped in ``xl_macros/lite``."""
    folder = shipped_folder("xl_macros", "*.bas") / "lite"
    try:
        return {name: (folder / name).read_text(encoding="utf-8") for name in FILES}
    except OSError as exc:
        raise UnusableInput("the xlwings Lite scripts (xl_macros/lite) are not installed",
                            action="reinstall qa_xl, or build the workbook without --lite"
                            ) from exc


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def webextension_xml(files: dict[str, str], extension_id: str) -> bytes:
    """The web extension part: Lite from the store, its files as JSON string properties."""
    root = etree.Element(f"{{{WE}}}webextension", nsmap={"we": WE}, id=extension_id)
    etree.SubElement(root, f"{{{WE}}}reference", id=STORE_ID.lower(), version="1.0.0.0",
                     store="en-US", storeType="OMEX")
    alternate = etree.SubElement(root, f"{{{WE}}}alternateReferences")
    etree.SubElement(alternate, f"{{{WE}}}reference", id=STORE_ID, version="1.0.0.0",
                     store=STORE_ID, storeType="OMEX")
    properties = etree.SubElement(root, f"{{{WE}}}properties")
    for name, text in files.items():
        etree.SubElement(properties, f"{{{WE}}}property", name=name, value=json.dumps(text))
    etree.SubElement(root, f"{{{WE}}}bindings")
    etree.SubElement(root, f"{{{WE}}}snapshot", nsmap={"r": R})
    return _xml(root)


def taskpanes_xml() -> bytes:
    """Lite's pane docked on the right, open when the workbook opens (visibility 1)."""
    root = etree.Element(f"{{{WETP}}}taskpanes", nsmap={"wetp": WETP})
    pane = etree.SubElement(root, f"{{{WETP}}}taskpane", dockstate="right", visibility="1",
                            width="438", row="3")
    etree.SubElement(pane, f"{{{WETP}}}webextensionref", {f"{{{R}}}id": "rId1"},
                     nsmap={"r": R})
    return _xml(root)


def _relationships(entries: list[tuple[str, str, str]]) -> bytes:
    root = etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})
    for rid, kind, target in entries:
        etree.SubElement(root, f"{{{PKG_REL}}}Relationship", Id=rid, Type=kind, Target=target)
    return _xml(root)


def add_lite(data: bytes, files: dict[str, str] | None = None,
             extension_id: str | None = None) -> bytes:
    """The .xlsx package ``data`` with xlwings Lite and its files in it; every other part is
    copied unchanged."""
    files = files or lite_sources()
    extension_id = extension_id or "{" + str(uuid.uuid4()).upper() + "}"
    source = zipfile.ZipFile(io.BytesIO(data))
    if TASKPANES in source.namelist():
        raise UnusableInput("the workbook already has an Office add-in pane",
                            action="build a new workbook with qa-xl new --lite")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                types = etree.fromstring(part)
                for name, kind in TYPES.items():
                    etree.SubElement(types, f"{{{CT}}}Override", PartName=name, ContentType=kind)
                part = _xml(types)
            elif info.filename == "_rels/.rels":
                rels = etree.fromstring(part)
                taken = {r.get("Id") for r in rels}
                rid = next(f"rId{i}" for i in range(1, len(taken) + 2) if f"rId{i}" not in taken)
                etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rid,
                                 Type=TASKPANES_REL, Target=TASKPANES)
                part = _xml(rels)
            target.writestr(info, part)
        target.writestr(TASKPANES, taskpanes_xml())
        target.writestr("xl/webextensions/_rels/taskpanes.xml.rels",
                        _relationships([("rId1", WEBEXT_REL, "webextension1.xml")]))
        target.writestr(WEBEXT, webextension_xml(files, extension_id))
    return out.getvalue()


def lite_files(path: str | Path) -> dict[str, str]:
    """The xlwings Lite files a workbook carries ({} when none): what Lite's editor shows."""
    with zipfile.ZipFile(path) as z:
        if WEBEXT not in z.namelist():
            return {}
        root = etree.fromstring(z.read(WEBEXT))
    return {p.get("name"): json.loads(p.get("value"))
            for p in root.iter(f"{{{WE}}}property") if p.get("name") in FILES}
