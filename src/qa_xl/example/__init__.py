"""The worked example (``qa-xl demo``): a master workbook full of plausible data, its returns
issued, filled in as partners would and imported, and the papers written.

A layer of its own at the top of the library, beside :mod:`qa_xl.excel`: it drives every
layer below, as an officer's quarter does, and nothing but the command line depends on it.
"""

from qa_xl.example.partner import fill_return, fill_self_assessment
from qa_xl.example.run import DemoResult, demo

__all__ = ["DemoResult", "demo", "fill_return", "fill_self_assessment"]
