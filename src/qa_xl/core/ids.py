"""Identifiers: a partner_id or indicator_id names a sheet, an Excel table and a file.

Kept apart (and free of pandas) because the configuration loader, which must load fast,
and the table schemas both need the one rule.
"""

import re

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,23}$")
ID_RULE = "a short code (a letter, then letters, digits or _, at most 24)"
