"""Shared fixtures: real workbooks built by qa_xl, and LibreOffice as the real spreadsheet."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from qa_xl.example import demo
from qa_xl.framework import load_config
from qa_xl.workbook.build import new

TEST_SECRET = "5a17" * 16  # the test masters' return_secret

# No wall-clock limit on any example: a busy CI machine must not fail a test (speed is measured
# in bench/, and linear growth by counting instructions).
settings.register_profile("qa_xl", deadline=None)
settings.load_profile("qa_xl")


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def _master_template(tmp_path_factory, config) -> Path:
    path = tmp_path_factory.mktemp("template") / "QA_Master.xlsx"
    return new(path, config, secret=TEST_SECRET, workbook_id="00000000-0000-0000-0000-000000000000")


@pytest.fixture
def master(tmp_path, _master_template) -> Path:
    """A fresh copy of an empty master workbook built by qa-xl new."""
    path = tmp_path / "QA_Master.xlsx"
    shutil.copyfile(_master_template, path)
    return path


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> tuple[Path, object]:
    directory = tmp_path_factory.mktemp("demo")
    result = demo(directory, quarters=8, seed=7)
    return result.workbook, result


@pytest.fixture
def demo_master(tmp_path, _demo_template) -> Path:
    """A fresh copy of the demo workbook (default partnership, 8 quarters)."""
    path = tmp_path / "QA_Master.xlsx"
    shutil.copyfile(_demo_template[0], path)
    return path


# xlwings' remote engine stands in for Excel in the tests (notes §1, tests/xl_remote.py). Its
# licence key must be set before xlwings is first imported; it is for the tests only — officers
# run the open-source desktop engine, which needs no key.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
