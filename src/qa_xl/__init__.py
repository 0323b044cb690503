"""qa_xl: a Safeguarding Children Board's quality-assurance framework as an Excel workbook.

The library comes first; the ``qa-xl`` command line and the Excel buttons are thin wrappers
over these functions. Imports are lazy so that a command loads only what it uses.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "new": "qa_xl.workbook.build",
    "demo": "qa_xl.example",
    "validate": "qa_xl.validation",
    "rollup": "qa_xl.collect.consolidate",
    "issue_returns": "qa_xl.collect.issue",
    "import_returns": "qa_xl.collect.importing",
    "load_config": "qa_xl.framework",
    "s11_issue": "qa_xl.collect.self_assessment",
    "s175_issue": "qa_xl.collect.self_assessment",
    "s11_import": "qa_xl.collect.self_assessment",
    "s175_import": "qa_xl.collect.self_assessment",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
