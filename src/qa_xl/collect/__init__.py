"""Collecting the partners' figures: returns issued (:mod:`~qa_xl.collect.issue`), checked and
imported (:mod:`~qa_xl.collect.importing`, :mod:`~qa_xl.collect.package`,
:mod:`~qa_xl.collect.rules`), and consolidated into the roll-up
(:mod:`~qa_xl.collect.consolidate`).

Above the programme modules (the roll-up also refreshes their derived columns).
"""
