"""A tagged PDF (PDF/UA) of a paper, through LibreOffice, with the contents' page numbers.

``soffice --headless --convert-to pdf:writer_pdf_Export:{...}`` with ``UseTaggedPDF`` and
``PDFUACompliance`` writes a tagged PDF whose headings, table headers, alt text, title and
language carry over from the Word document; each run gets a fresh LibreOffice profile (a
stale lock in a shared one makes LibreOffice fail silently). ``ExportBookmarksToPDFDestination``
keeps the sections' bookmarks as named destinations, so the page LibreOffice laid each
section out on can be read back (``pdfinfo -dests``) and written into the Word document's
contents, whose PAGEREF fields then show the same numbers as the PDF without Word asking to
update anything. LibreOffice fills the PDF's own contents itself as it lays it out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from qa_xl.core.errors import UnusableInput

EXPORT_FILTER = ('pdf:writer_pdf_Export:{'
                 '"UseTaggedPDF":{"type":"boolean","value":"true"},'
                 '"PDFUACompliance":{"type":"boolean","value":"true"},'
                 '"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}')
TIMEOUT = 300
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def soffice() -> str | None:
    """LibreOffice's binary: ``QA_XL_SOFFICE`` if set, else ``soffice`` or ``libreoffice`` on
    the PATH (on Windows and macOS, its usual install folders)."""
    chosen = os.environ.get("QA_XL_SOFFICE")
    if chosen:
        return chosen if Path(chosen).is_file() else None
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    for candidate in (r"C:\Program Files\LibreOffice\program\soffice.exe",
                      "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if Path(candidate).is_file():
            return candidate
    return None


def write_pdf(docx: str | Path, pdf: str | Path | None = None) -> Path:
    """Write the tagged PDF of ``docx`` (beside it unless ``pdf`` says where) and put the
    contents' page numbers into the Word document too. Without LibreOffice, a clear message
    (exit 2) says so: the Word document is left as it was."""
    docx = Path(docx)
    target = Path(pdf) if pdf else docx.with_suffix(".pdf")
    binary = soffice()
    if binary is None:
        raise UnusableInput(
            f"LibreOffice is not installed, so no PDF was written (the Word paper {docx.name} "
            "was)", file=docx, action="install LibreOffice (on Debian or Ubuntu: apt-get "
            "install libreoffice-writer) and run again with --pdf, or open the .docx in Word "
            "and save it as PDF")
    with tempfile.TemporaryDirectory(prefix="qa_xl_pdf_") as scratch:
        folder = Path(scratch)
        profile = folder / "profile"
        try:
            done = subprocess.run(
                [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                 "--convert-to", EXPORT_FILTER, "--outdir", str(folder), str(docx)],
                capture_output=True, text=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UnusableInput(f"LibreOffice could not write the PDF ({exc})", file=docx,
                                action="check that LibreOffice runs (soffice --version), or "
                                "save the .docx as PDF in Word") from exc
        produced = folder / f"{docx.stem}.pdf"
        if not produced.is_file():
            said = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise UnusableInput(f"LibreOffice did not write the PDF ({said[0]})", file=docx,
                                action="check that LibreOffice runs (soffice --version), or "
                                "save the .docx as PDF in Word")
        pages = bookmark_pages(produced)
        if pages:
            fill_contents(docx, pages)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), target)
    return target


def bookmark_pages(pdf: Path) -> dict[str, int]:
    """Bookmark name -> page number, from the PDF's named destinations (poppler's
    ``pdfinfo -dests``); empty where poppler is not installed."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return {}
    try:
        text = subprocess.run([pdfinfo, "-dests", str(pdf)], capture_output=True, text=True,
                              timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {name: int(page) for page, name in
            re.findall(r"^\s*(\d+)\s+\[.*?\]\s+\"([^\"]+)\"\s*$", text, re.MULTILINE)}


def fill_contents(docx: Path, pages: dict[str, int]) -> int:
    """Write each PAGEREF field's shown value in the document body (the contents) from
    ``pages``; return how many were filled. The file is replaced atomically."""
    from lxml import etree

    with zipfile.ZipFile(docx) as source:  # read it all first: Windows cannot replace an
        entries = [(info, source.read(info)) for info in source.infolist()]  # open file
    body = next(data for info, data in entries if info.filename == "word/document.xml")
    root = etree.fromstring(body)
    filled = 0
    for instr in root.iter(f"{{{W}}}instrText"):
        match = re.match(r"\s*PAGEREF\s+(\S+)", instr.text or "")
        if not match or match.group(1) not in pages:
            continue
        for sibling in instr.getparent().itersiblings():
            if sibling.find(f"{{{W}}}fldChar[@{{{W}}}fldCharType='end']") is not None:
                break
            shown = sibling.find(f"{{{W}}}t")
            if shown is not None:
                shown.text = str(pages[match.group(1)])
                filled += 1
                break
    if not filled:
        return 0
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    handle, scratch = tempfile.mkstemp(prefix=".~qa_xl_", suffix=".docx", dir=docx.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as target:
            for info, data in entries:
                target.writestr(info, xml if info.filename == "word/document.xml" else data)
        shutil.copymode(docx, scratch)
        os.replace(scratch, docx)
    finally:
        if os.path.exists(scratch):
            os.remove(scratch)
    return filled
