"""Numbers in words, as every message and paper writes them: "1 period", "3 periods"."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``count`` and the noun that agrees with it (``many`` when the plural is not just +s)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
