"""Run one xlwings Lite script (xl_macros/lite/main.py) on a workbook, as Lite would.

    PYTHONPATH=tests/pyodide_like python tests/lite_run.py WORKBOOK SCRIPT OUT.json

The book is xlwings' remote-engine Book built from the workbook's Office.js JSON (the object
model Lite hands a script, tests/xl_remote.py); the script module is loaded from its file as
Lite loads main.py. What the script asked Excel to do (the actions), what it printed, and which
blocked packages were asked for go to OUT.json for the test to compare.

Hook for the call counter (issue 14): set QA_XL_CALLS_HOOK=module:function and it is called
with (script name, book) after the script ran, in this process; whatever it returns (JSON) is
kept under "calls" in OUT.json.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAIN = HERE.parent / "xl_macros" / "lite" / "main.py"


def main(workbook: str, script: str, out: str) -> int:
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # the tests' remote engine
    sys.path.insert(0, str(HERE))
    from xl_remote import actions, remote_book

    book = remote_book(workbook, "QA_Master.xlsx")  # a name, not a path: as in Lite
    spec = importlib.util.spec_from_file_location("main", MAIN)
    lite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lite)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        getattr(lite, script)(book)
    result = {"actions": actions(book), "printed": printed.getvalue()}
    hook = os.environ.get("QA_XL_CALLS_HOOK")
    if hook:
        module, _, function = hook.partition(":")
        result["calls"] = getattr(importlib.import_module(module), function)(script, book)
    blocker = sys.modules.get("sitecustomize")
    result["attempts"] = list(getattr(blocker, "ATTEMPTS", []))
    result["sandboxed"] = blocker is not None and hasattr(blocker, "ATTEMPTS")
    result["modules"] = sorted(sys.modules)
    reader = sys.modules.get("qa_xl.workbook.xlsxread")
    result["reader"] = getattr(reader, "ENGINE", None)  # which engine read the files
    Path(out).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
