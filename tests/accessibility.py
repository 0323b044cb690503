"""What an accessibility auditor measures in a rendered paper: the contrast of every text
colour on the fill it sits on (WCAG 2.1), worked out from the Word document itself, and how
full each page of the PDF is."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from docx.oxml.ns import qn

WHITE, BLACK = "FFFFFF", "000000"
# Python's words, which must never reach a committee or a family
PYTHON_WORDS = re.compile(r"\b(None|nan|NaN|NaT|True|False)\b|<NA>|\b1 (quarters|periods|"
                          r"partners|activities|actions|risks|indicators|gradings|audits|cases|"
                          r"figures|returns|years|measures|checks|months|days)\b")


def document_text(document) -> str:
    """Every paragraph and table cell of the body, headers and footers."""
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    for section in document.sections:
        texts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(texts)


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _colour_of(element) -> str | None:
    """A w:rPr's colour as hex, None when it sets none; a theme colour is refused (the
    test could not know what Word shows)."""
    if element is None:
        return None
    colour = element.find(qn("w:color"))
    if colour is None:
        return None
    assert colour.get(qn("w:themeColor")) is None, "a theme colour cannot be checked"
    value = colour.get(qn("w:val"))
    return BLACK if value in (None, "auto") else value.upper()


def _style_colour(document, style_id: str | None, seen: int = 0) -> str | None:
    if not style_id or seen > 10:
        return None
    style = document.styles.element.find(f"{qn('w:style')}[@{qn('w:styleId')}='{style_id}']")
    if style is None:
        return None
    found = _colour_of(style.find(qn("w:rPr")))
    if found:
        return found
    based = style.find(qn("w:basedOn"))
    return _style_colour(document, based.get(qn("w:val")) if based is not None else None,
                         seen + 1)


def _default_colour(document) -> str:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
    return _colour_of(r_pr) or BLACK


def _fill_of(element) -> str | None:
    if element is None:
        return None
    shading = element.find(qn("w:shd"))
    if shading is None:
        return None
    fill = shading.get(qn("w:fill"))
    return None if fill in (None, "auto") else fill.upper()


def text_fill_pairs(document) -> dict[tuple[str, str], str]:
    """(text colour, fill) -> an example of the text, for every run with text in the body,
    headers and footers."""
    normal = _style_colour(document, "Normal") or _default_colour(document)
    parts = [document.element.body]
    for section in document.sections:
        parts += [section.header._element, section.footer._element]
    pairs: dict[tuple[str, str], str] = {}
    for part in parts:
        for paragraph in part.iter(qn("w:p")):
            p_pr = paragraph.find(qn("w:pPr"))
            style = p_pr.find(qn("w:pStyle")) if p_pr is not None else None
            colour = _style_colour(document, style.get(qn("w:val")) if style is not None
                                   else "Normal") or normal
            fill = _fill_of(p_pr)
            cell = next((a for a in paragraph.iterancestors(qn("w:tc"))), None)
            if fill is None and cell is not None:
                fill = _fill_of(cell.find(qn("w:tcPr")))
            for run in paragraph.iter(qn("w:r")):
                text = "".join(t.text or "" for t in run.iter(qn("w:t"))).strip()
                if not text:
                    continue
                r_pr = run.find(qn("w:rPr"))
                run_style = r_pr.find(qn("w:rStyle")) if r_pr is not None else None
                shown = (_colour_of(r_pr) or _style_colour(
                    document, run_style.get(qn("w:val")) if run_style is not None else None)
                    or colour)
                pairs.setdefault((shown, _fill_of(r_pr) or fill or WHITE), text[:60])
    return pairs


def low_contrast(document, least: float = 4.5) -> list[str]:
    return [f"{text!r}: #{fg} on #{bg} is {contrast(fg, bg):.2f}:1"
            for (fg, bg), text in text_fill_pairs(document).items() if contrast(fg, bg) < least]


def page_fill(pdf: Path) -> list[float]:
    """How far down each page its body text reaches, as a share of the body's height (the
    running header and footer left out): 1.0 is a full page."""
    tool = shutil.which("pdftotext")
    assert tool, "poppler-utils (pdftotext) is needed: .ci/run installs it"
    html = subprocess.run([tool, "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    out = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html,
                            re.S):
        height = float(page.group(2))
        top, bottom = height * 0.09, height * 0.91  # the running header and footer
        lows = [float(m.group(1)) for m in re.finditer(r'<word [^>]*yMax="([\d.]+)"',
                                                       page.group(3))]
        body = [y for y in lows if top < y < bottom]
        out.append(0.0 if not body else (max(body) - top) / (bottom - top))
    return out
