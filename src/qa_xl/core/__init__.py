"""The bottom layer: plain rules every other layer shares, knowing nothing of workbooks.

Errors that reach the officer (:mod:`~qa_xl.core.errors`), identifiers, financial-year periods,
the RAG rule, what a programme finding looks like, the personal-data scan and how files are
written and where the shipped folders are. Imports nothing of qa_xl; the configuration's
modules here stay free of pandas.
"""
