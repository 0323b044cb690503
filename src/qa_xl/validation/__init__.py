"""The whole workbook checked at once (``qa-xl validate``, the Validate button).

Above :mod:`qa_xl.collect` and :mod:`qa_xl.programme` because it runs their rules together;
below the papers and the front ends, which call it.
"""

from qa_xl.validation.workbook import check_workbook, validate

__all__ = ["check_workbook", "validate"]
