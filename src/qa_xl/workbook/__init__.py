"""The master workbook: one schema per table, the `Store` interface with its file back end,
the part writer that saves without losing what officers added, the schema-driven checks, the
workbook build and its VBA project.

Above :mod:`qa_xl.framework` (it lays the configuration out as sheets); below everything that
reads or writes a table, none of which knows whether a file or an open book is behind it.
"""
