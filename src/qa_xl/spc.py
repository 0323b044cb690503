"""``qa_xl.spc.xmr``, as users' scripts know it: the XmR charts' rules now live in
:mod:`qa_xl.papers.spc`."""

from qa_xl.papers.spc import MIN_POINTS, RULES, SpcResult, xmr

__all__ = ["MIN_POINTS", "RULES", "SpcResult", "xmr"]
