"""Identifiers: a partner_id or indicator_id names a sheet, an Excel table and a file.

Kept apart (and free of pandas) because the configuration loader, which must load fast,
and the table schemas both need the one rule.
"""

import re

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,23}$")
ID_RULE = "a short code (a letter, then letters, digits or _, at most 24)"

# The key of an action raised by a self-assessment answer, FORM-CYCLE-ORGANISATION-QUESTION
# (S11-2026-28-police-S11_3a): stable, so that a re-import updates the action rather than
# adding one. tblActions.action_id takes it as well as an ordinary code.
FORM_ACTION_PATTERN = re.compile(
    r"^[A-Za-z][A-Za-z0-9_]{0,23}-\d{4}-\d{2}-[A-Za-z][A-Za-z0-9_]{0,23}-[A-Za-z][A-Za-z0-9_]{0,23}$")


def form_action_id(form: str, cycle: object, organisation: str, question: str) -> str:
    """The tblActions.action_id of the action that follows one self-assessment answer."""
    return f"{form.upper()}-{cycle}-{organisation}-{question}"
