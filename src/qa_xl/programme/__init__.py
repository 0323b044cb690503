"""The QA programme: timetable, risk register, case-file audits, the voice of children and
families, learning & improvement actions and content areas.

Pure functions on DataFrames shaped by the workbook's schemas, each module with the ``check``
that ``qa-xl validate`` runs; no file I/O.
"""
