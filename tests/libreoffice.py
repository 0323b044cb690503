"""LibreOffice headless as the real spreadsheet and word processor in tests."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest


def soffice() -> str:
    """The LibreOffice binary; its absence is a broken machine, not a reason to skip."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        pytest.fail("LibreOffice (soffice) is not installed: run .ci/run, which installs it")
    return path


# LibreOffice trusts the cached results in a file Excel (or XlsxWriter) wrote; this profile
# setting makes it recalculate every formula on load, so a conversion shows what it computes.
ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def convert(path: Path, to: str, outdir: Path, timeout: int = 180) -> Path:
    """Convert with LibreOffice headless, in a fresh profile (a stale lock breaks loading)
    that recalculates every formula on load."""
    profile = Path("/tmp") / f"qa_xl_lo_{uuid.uuid4().hex}"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(ALWAYS_RECALCULATE)
    try:
        subprocess.run(
            [soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", to, "--outdir", str(outdir), str(path)],
            check=True, capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (path.stem + "." + to.split(":")[0])
    assert out.exists(), f"LibreOffice did not write {out}"
    return out
