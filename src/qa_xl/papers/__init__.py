"""The papers: the quarterly Q&PC pack, the half-yearly Board report, the yearly report and
the annual review of the QA programme, from Word templates.

The framework makes quality assurance a standing item at every Q&PC meeting (key findings,
good practice, significant risks and improvements) and sends a half-yearly performance report
to the Board. Both used to take days of copying figures into Word; here they are built in
seconds from the master workbook:

1. **Read** each table once, when first needed (:class:`_Data`), and consolidate the returns
   with the roll-up's own function, so that each figure in the papers *is* the roll-up figure.
2. **Context** (:func:`pack_context`, :func:`board_context`): a plain dict of words, numbers and
   lists of dicts. The look belongs to the template: nothing here knows a font or a colour
   except the names of cell fills (hex), because docxtpl shades a cell from the context.
   Charts are :class:`qa_xl.papers.charts.Chart` values (PNG bytes and alt text).
3. **Render** the docxtpl template (``report_templates/*.docx``, Jinja2 tags an officer can
   restyle in Word) with ``StrictUndefined`` and autoescaping: a name the context lacks is an
   error naming the name and the template (:class:`UnusableInput`, exit 2), and data is only
   ever a *value* for the template, never template text, so a commentary of ``{{ 7*7 }}``
   prints as typed.
4. **Accessibility**: every picture gets its alt text (``descr`` and ``title`` on the drawing,
   which docxtpl 0.20.2's InlineImage cannot set), the document title and language go into the
   core properties; heading styles and repeating header rows come from the template.

Speed: the chart specs are worked out first and handed to a worker process
(:mod:`qa_xl.papers.drawing`); the rest of the context is built and the template rendered with a
one-pixel placeholder per chart while the worker draws, and the placeholders' bytes are
swapped for the charts just before saving.

``report_templates/README.md`` documents every context variable; a test keeps it true.

The names below are imported when first used, so that ``qa_xl.papers.drawing`` can start its
chart worker before pandas is imported (:func:`qa_xl.papers.drawing.warm_up`).
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "format_value": "charts",
    **dict.fromkeys(("BOARD_TEMPLATE", "LIST_LIMIT", "PACK_TEMPLATE", "RAG_FILL",
                     "REVIEW_TEMPLATE", "SELF_ASSESSMENT_TEMPLATE", "SPC_MIN_POINTS",
                     "STATUS_FILL", "TEMPLATE_DIR",
                     "YEARLY_TEMPLATE", "board_half"), "data"),
    **dict.fromkeys(("BOARD_NAMES", "CYCLE_NAMES", "NAMES", "PACK_NAMES", "REVIEW_NAMES",
                     "YEARLY_NAMES",
                     "build_board_report", "build_pack", "build_programme_review",
                     "build_self_assessment_report",
                     "build_yearly_report", "check_template", "context_paths",
                     "iter_pictures", "render", "template_names"), "word"),
    "explain": "provenance", "write_pdf": "pdf",
    **dict.fromkeys(("board_context", "pack_context", "paper_context"), "contexts"),
    "risk_bands": "sections",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"qa_xl.papers.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'qa_xl.papers' has no attribute {name!r}")
