"""The module the workbook's buttons call: ``RunPython("import qa_xl.xl; qa_xl.xl.validate()")``.

Every macro-enabled master already built names this module, so it stays, re-exporting the
button entry points of :mod:`qa_xl.excel.buttons` (and the live-Excel store, for scripts).
"""

from qa_xl.excel.buttons import (
    build_board_report,
    build_pack,
    chase_returns,
    import_returns,
    issue_returns,
    rollup,
    s11_import,
    s11_issue,
    s175_import,
    s175_issue,
    validate,
)
from qa_xl.excel.live import LiveStore

__all__ = ["LiveStore", "build_board_report", "build_pack", "chase_returns", "import_returns",
           "issue_returns", "rollup", "s11_import", "s11_issue", "s175_import", "s175_issue",
           "validate"]
