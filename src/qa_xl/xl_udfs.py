"""The worksheet functions' module as ``xl_macros/xlwings.conf`` names it
(``UDF MODULES = qa_xl.xl_udfs``): it re-exports :mod:`qa_xl.excel.udfs`, so a workbook whose
functions were imported under this name keeps working.
"""

from qa_xl.excel.udfs import QA_NEXT_DUE, QA_RAG, QA_RISK_SCORE

__all__ = ['QA_NEXT_DUE', 'QA_RAG', 'QA_RISK_SCORE']
