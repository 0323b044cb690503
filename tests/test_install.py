"""An installed copy of qa_xl (a wheel, not the editable checkout) carries what it reads at run
time outside Python: the docx templates of the papers and the VBA sources of the .xlsm."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "src", "report_templates", "xl_macros")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The wheel built from a copy of the sources (the checkout is left alone), installed in
    a folder of its own that comes first on the import path."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = scratch / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info"))
        else:
            shutil.copyfile(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(scratch / "dist"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (scratch / "dist").glob("qa_xl-*.whl")
    target = scratch / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    return target, env


def _run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_the_wheel_holds_the_templates_and_macros(installed):
    target, env = installed
    where = _run(env, target.parent, "-c", "import qa_xl.papers as p, qa_xl.vba as v; "
                 "print(p.TEMPLATE_DIR); print(v.macros_dir())")
    assert where.returncode == 0, where.stderr
    templates, macros = (Path(line) for line in where.stdout.split())
    assert templates.is_relative_to(target) and (templates / "qpc_pack.docx").is_file()
    assert macros.is_relative_to(target) and (macros / "QAButtons.bas").is_file()


@pytest.mark.slow
def test_an_installed_copy_writes_the_papers_and_the_xlsm(installed, tmp_path):
    _, env = installed
    demo = _run(env, tmp_path, "-m", "qa_xl.cli", "demo", str(tmp_path / "demo"),
                "--partners", "6", "--quarters", "4")
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert list((tmp_path / "demo").glob("QPC_pack_*.docx"))
    assert list((tmp_path / "demo").glob("Board_report_*.docx"))
    new = _run(env, tmp_path, "-m", "qa_xl.cli", "new", str(tmp_path / "QA_Master.xlsm"))
    assert new.returncode == 0, new.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / "QA_Master.xlsm") as package:
        assert "xl/vbaProject.bin" in package.namelist()
