"""The layer contract (pyproject.toml, ``[tool.importlinter]``): it holds on the code, and it
fails when a module imports upwards or a layer imports a library it must not touch.

The failing cases run import-linter on a copy of the package with one import added, so the
test shows the contract can break, not only that it is kept today.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("lint-imports")
    command = [str(script)] if script.exists() else [shutil.which("lint-imports") or "lint-imports"]
    env = {**os.environ, "PYTHONPATH": str(src)}  # before the editable install's finder
    return subprocess.run([*command, "--no-cache", str(ROOT / "pyproject.toml")], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_code_keeps_every_contract(tmp_path):
    run = _lint(ROOT / "src", tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("core/ids.py", "import qa_xl.collect.consolidate", "qa_xl.core is not allowed to import "
     "qa_xl.collect"),
    ("workbook/store.py", "from qa_xl.programme import risks", "qa_xl.workbook is not allowed "
     "to import qa_xl.programme"),
    ("collect/consolidate.py", "import xlwings", "qa_xl.collect is not allowed to import "
     "xlwings"),
    ("programme/risks.py", "import matplotlib", "qa_xl.programme is not allowed to import "
     "matplotlib"),
    ("papers/data.py", "import typer", "qa_xl.papers is not allowed to import typer"),
    ("framework/load.py", "import pandas", "qa_xl.framework is not allowed to import pandas"),
    ("excel/buttons.py", "import qa_xl.xl", "qa_xl.excel is not allowed to import qa_xl.xl"),
])
def test_an_upward_or_forbidden_import_breaks_the_contract(tmp_path, module, line, broken):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "qa_xl", src / "qa_xl",
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = src / "qa_xl" / module
    target.write_text(target.read_text() + f"\n\ndef _upwards() -> None:\n    {line}\n")
    run = _lint(src, tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert broken in run.stdout


@pytest.mark.parametrize("name", ["qa_xl.xl", "qa_xl.xl_udfs", "qa_xl.spc", "qa_xl.vba"])
def test_the_old_module_names_still_import(name):
    """Workbooks already built call qa_xl.xl and qa_xl.xl_udfs; scripts use qa_xl.spc.xmr and
    python -m qa_xl.vba."""
    module = importlib.import_module(name)
    for exported in module.__all__:
        assert getattr(module, exported) is not None


def test_python_m_qa_xl_vba_still_runs():
    run = subprocess.run([sys.executable, "-m", "qa_xl.vba", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "--rebuild-workbook" in run.stdout
