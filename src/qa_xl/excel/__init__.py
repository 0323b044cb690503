"""The Excel front end: what the buttons run (:mod:`qa_xl.excel.buttons`), the worksheet
functions (:mod:`qa_xl.excel.udfs`) and the live-Excel back end (:mod:`qa_xl.excel.live`).

The only layer that imports xlwings; below it, nothing knows whether a workbook is a file or
an open book. ``qa_xl.xl`` and ``qa_xl.xl_udfs``, the names the workbook's VBA and xlwings.conf
use, re-export these modules.
"""
