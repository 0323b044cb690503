"""The README's first command works on a fresh virtual environment, as a new user runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_readme_opens_with_the_two_commands():
    setup, tests = readme_commands()[:2]
    assert "qa-xl demo" in setup and "pip install" in setup
    assert tests.strip() == "bash .ci/run"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in ci and "apt-get install" in ci


@pytest.mark.slow
def test_first_command_in_a_fresh_virtual_environment(tmp_path):
    copy = tmp_path / "qa_xl"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache",
        "qa_xl_demo", "backups"))
    setup = readme_commands()[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = ":".join(p for p in env["PATH"].split(":") if ".venv" not in p
                           and "/work/venv" not in p)
    proc = subprocess.run(["bash", "-c", f"set -e\n{setup}"], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (copy / "qa_xl_demo" / "QA_Master.xlsx").exists()
    assert "Validation:" in proc.stdout
