"""``python -m qa_xl.vba``: compile the VBA project, rebuild the template workbook.

The name the README and the build have always used; the code lives in
:mod:`qa_xl.workbook.vba` (the VBA project) and :mod:`qa_xl.workbook.template` (the committed
``workbook/QA_Master.xlsm``).
"""

from qa_xl.workbook.template import main, rebuild_workbook
from qa_xl.workbook.vba import BUTTONS, build_vba_project, macros_dir

__all__ = ["BUTTONS", "build_vba_project", "macros_dir", "main", "rebuild_workbook"]

if __name__ == "__main__":
    raise SystemExit(main())
