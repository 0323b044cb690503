"""The performance scorecard and the SPC charts: each indicator's latest figure against its
target, by the three OBA questions, and its statistical process control chart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qa_xl.papers import charts
from qa_xl.papers.charts import (
    ChartSlots,
    IconSpec,
    SpcSpec,
    TrendSpec,
    clipped,
    format_value,
    icon_alt,
)
from qa_xl.papers.data import (
    ASSURANCE_WORDS,
    FILL_BLANK,
    IMPROVEMENT,
    OBA_DESCRIPTIONS,
    RAG_FILL,
    SPC_MIN_POINTS,
    VARIATION_WORDS,
    _arrow,
    _Data,
    _int,
    _num,
    _text,
)

# ------------------------------------------------------------------------------ scorecard

@dataclass
class Indicator:
    """One indicator's figures for the papers."""

    id: str
    name: str
    question: str
    unit: str
    polarity: str
    labels: list[str]
    values: list[float | None]
    row: dict[str, Any]  # its latest tblRollup row
    previous: float | None
    definition: str = ""
    content_area: str = ""
    aggregation: str = ""
    frequency: str = ""

    @property
    def value(self) -> float | None:
        return _num(self.row["value"])

    @property
    def target(self) -> float | None:
        return _num(self.row["target"])

    @property
    def rag(self) -> str:
        return _text(self.row["rag"]) or "No data"

    @property
    def direction(self) -> str:
        return _text(self.row["direction"])

    @property
    def improvement(self) -> str:
        return IMPROVEMENT.get(self.polarity.split(" ")[0].lower(), "neutral")

    @property
    def polarity_clear(self) -> bool:
        """A better direction that can be read without reservation: not neutral, and the
        definition does not ask for the figure to be read with care (the framework pairs a
        fall in A&E safeguarding cases with how well cases are identified, say)."""
        return self.improvement != "neutral" and not READ_WITH_CARE.search(self.definition)

    @property
    def distance(self) -> float:
        """How far the figure is on the wrong side of its target, as a share of the target
        (0.71 for 20.4% against 70%); 0 when on target or not rated."""
        value, target = self.value, self.target
        sign = {"increase": 1, "decrease": -1}.get(self.improvement, 0)
        if value is None or target is None or not sign:
            return 0.0
        return max(0.0, (target - value) * sign / (abs(target) or 1.0))

    def fmt(self, value: float | None, missing: str = "No data") -> str:
        return format_value(value, self.unit, missing=missing)

    @property
    def points(self) -> int:
        return sum(v is not None for v in self.values)

    def moved(self) -> str:
        """'down from 34.8%', 'up from 942', 'unchanged at 12', or '' with nothing before."""
        if self.value is None or self.previous is None:
            return ""
        before = self.fmt(self.previous)
        if before == self.fmt(self.value):
            return f"unchanged from {before}"
        return f"{'up' if self.value > self.previous else 'down'} from {before}"


READ_WITH_CARE = re.compile(r"\bread (it |them )?with (care|caution|the commentary)\b|"
                            r"\binterpret(ed)? with care\b", re.IGNORECASE)


def indicator_series(data: _Data, rollup: Any = None) -> list[Indicator]:
    """Every indicator with its series up to the report's quarter (or the spans of
    ``rollup``, a tblRollup-shaped frame), in OBA then table order."""
    info = data.indicators.dropna(subset=["indicator_id"]).drop_duplicates("indicator_id")
    info = info.set_index("indicator_id")
    out = []
    frame = data.rollup if rollup is None else rollup
    for ind_id, rows in frame.groupby("indicator_id", sort=False):
        if ind_id not in info.index or rows.empty:
            continue
        meta = info.loc[ind_id]
        values = [_num(v) for v in rows["value"]]
        out.append(Indicator(
            id=str(ind_id), name=_text(meta["indicator_name"]) or str(ind_id),
            question=_text(meta["oba_measure"]), unit=_text(meta["unit"]),
            polarity=_text(meta["polarity"]), labels=[str(p) for p in rows["period"]],
            values=values, row=rows.iloc[-1].to_dict(),
            previous=values[-2] if len(values) > 1 else None,
            definition=_text(meta["definition"]), content_area=_text(meta["content_area"]),
            aggregation=_text(meta["aggregation"]), frequency=_text(meta["frequency"])))
    order = {q: i for i, q in enumerate(data.oba_order)}
    return sorted(out, key=lambda i: order.get(i.question, len(order)))


def _comments(data: _Data) -> dict[tuple[str, str], str]:
    """(indicator, period) -> the partners' commentary, one line each, named by partner."""
    names = data.partner_names
    told = data.returns[data.returns["commentary"].map(_text) != ""]
    out: dict[tuple[str, str], list[str]] = {}
    for ind, period, partner, text in zip(told["indicator_id"], told["period"],
                                          told["partner_id"], told["commentary"]):
        key = (_text(ind), _text(period))
        out.setdefault(key, []).append(f"{names.get(_text(partner), _text(partner))}: "
                                       f"{_text(text)}")
    return {k: "\n".join(v) for k, v in out.items()}


def _direction_word(ind: Indicator) -> str:
    word = _text(ind.row["direction"])
    if ind.value is None or ind.previous is None:
        return "No comparison"
    if word in ("Improving", "Worsening", "No change"):
        return word
    return {"↑": "Higher", "↓": "Lower"}.get(_arrow(ind.value, ind.previous), "No change")


RULE_WORDS = {
    "sum": "the partners' figures added up",
    "ratio": "the partners' numerators added up, divided by their denominators added up",
    "mean": "the mean of the partners' figures",
    "latest": "the latest figure a partner returned",
}
SPAN_RULE_WORDS = {
    "sum": "the partners' figures of {parts} added up",
    "ratio": "the partners' numerators of {parts} added up, divided by their denominators "
             "added up",
    "mean": "the mean of the partners' figures of {parts}",
    "latest": "the figure of the last quarter with one (a snapshot)",
}


def rule_words(ind: Indicator) -> str:
    """How the figure is made from the partners' figures, in words."""
    combined = _int(ind.row.get("combined", 1)) or 1
    if combined > 1:
        native = _text(ind.row.get("native")) or "Q"
        own = charts.PERIOD_WORDS.get(native, ("period", "periods"))[1]
        parts = f"the {combined} {own}"
        return SPAN_RULE_WORDS.get(ind.aggregation, RULE_WORDS.get(ind.aggregation, "")).format(
            parts=parts)
    return RULE_WORDS.get(ind.aggregation, ind.aggregation)


def partners_words(ind: Indicator, span: str = "") -> str:
    """'8 of 9', and for a span '7 of 8 (1 more for part of the half-year)'."""
    text = f"{_int(ind.row['partners_reported'])} of {_int(ind.row['partners_expected'])}"
    partial = _int(ind.row.get("partial", 0))
    if partial:
        text += f" ({partial} more for part of the {span or 'period'})"
    return text


def _scorecard_row(ind: Indicator, comments: dict[tuple[str, str], str],
                   drawing: ChartSlots, span: str = "", why: str = "") -> dict[str, Any]:
    period = _text(ind.row["period"])
    spec = TrendSpec(ind.name, tuple(ind.labels), tuple(ind.values), ind.unit, ind.target)
    rag = ind.rag
    return {
        "id": ind.id, "name": ind.name, "period": period, "unit": ind.unit,
        "value": ind.fmt(ind.value), "target": ind.fmt(ind.target, "No target"),
        "rag": rag, "rag_fill": RAG_FILL.get(rag, FILL_BLANK),
        "arrow": _arrow(ind.value, ind.previous), "direction": _direction_word(ind),
        "previous": ind.fmt(ind.previous, "No figure"),
        "partners": partners_words(ind, span), "rule": rule_words(ind), "why": why,
        "commentary": comments.get((ind.id, period), ""),
        "trend": drawing.add(spec, alt := charts.trend_alt(spec)), "trend_alt": alt,
    }


def rag_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    words = [r["rag"] for r in rows]
    return {"green": words.count("Green"), "amber": words.count("Amber"),
            "red": words.count("Red"), "no_target": words.count("No target"),
            "no_data": words.count("No data"), "total": len(words)}


def scorecard_section(data: _Data, inds: list[Indicator], drawing: ChartSlots, *,
                      span: str = "", why: dict[str, str] | None = None
                      ) -> list[dict[str, Any]]:
    """The scorecard by OBA question, in the framework's order. ``why`` gives, for the
    Board's headline scorecard, the reason each indicator is in it."""
    comments = _comments(data)
    groups: dict[str, list[dict[str, Any]]] = {}
    for ind in inds:
        groups.setdefault(ind.question, []).append(_scorecard_row(
            ind, comments, drawing, span, (why or {}).get(ind.id, "")))
    order = {q: i for i, q in enumerate(data.oba_order)}
    out = []
    for question, rows in groups.items():
        position = order.get(question)
        out.append({
            "question": question or "Other measures",
            "description": OBA_DESCRIPTIONS[position] if position is not None
            and position < len(OBA_DESCRIPTIONS) else "",
            "rows": rows, "counts": rag_counts(rows)})
    return out


REBASE_KEY = "spc_rebase_"
_REBASE_ITEM = re.compile(r"\s*(?P<period>\d{4}\s*[-/]\s*\d{2,4}\s*[QqHh]\s*\d)\s*:?\s*"
                          r"(?P<reason>.*?)\s*(?=;\s*\d{4}\s*[-/]|$)", re.S)


def rebase_settings(data: _Data) -> dict[str, list[tuple[str, str, str]]]:
    """The officer's recalculation points from the Config sheet: a setting
    ``spc_rebase_<indicator_id>`` whose value is "2025-26 Q1: the reason" (several joined
    by ";"). indicator_id -> [(period, reason, cell)]. A period that cannot be read, or a
    missing reason, is a data error naming the Config cell."""
    from qa_xl.core.errors import DataError
    from qa_xl.core.periods import Period, PeriodError

    config = data.config_table
    out: dict[str, list[tuple[str, str, str]]] = {}
    known = set(data.indicators["indicator_id"].dropna())
    for row, key, value in zip(config.df.index, config.df["key"], config.df["value"]):
        key = _text(key)
        if not key.startswith(REBASE_KEY) or not _text(value):
            continue
        cell = config.cell("value", row)
        ind_id = key.removeprefix(REBASE_KEY)
        if ind_id not in known:
            raise DataError(f"the setting {key} names no indicator on the Indicators sheet",
                            file=data.label, sheet="Config", cell=config.cell("key", row),
                            action="write spc_rebase_ followed by an indicator_id, e.g. "
                            "spc_rebase_mash_contacts")
        for match in _REBASE_ITEM.finditer(_text(value)):
            if not match.group("period"):
                continue
            try:
                period = str(Period.typed(match.group("period")))
            except PeriodError as exc:
                raise DataError(f"{key}: {exc}", file=data.label, sheet="Config", cell=cell,
                                action="write each point as 2025-26 Q1: the reason") from exc
            reason = match.group("reason").strip(" ;")
            if not reason:
                raise DataError(f"{key}: the recalculation from {period} gives no reason",
                                file=data.label, sheet="Config", cell=cell,
                                action="say why the process changed, e.g. 2025-26 Q1: the "
                                "MASH began to take police contacts")
            out.setdefault(ind_id, []).append((period, reason, cell))
        if ind_id not in out:
            raise DataError(f"{key} holds no recalculation point", file=data.label,
                            sheet="Config", cell=cell, action="write 2025-26 Q1: the reason "
                            "(several separated by ;)")
    return out


def _rebase_points(data: _Data, ind: Indicator, wanted: list[tuple[str, str, str]]
                   ) -> tuple[tuple[int, str], ...]:
    from qa_xl.core.errors import DataError

    points = []
    for period, reason, cell in wanted:
        if period not in ind.labels[1:]:
            raise DataError(
                f"spc_rebase_{ind.id}: {period} is not a period of the chart after its first "
                f"({ind.labels[1] if len(ind.labels) > 1 else ind.labels[0]} to "
                f"{ind.labels[-1]})", file=data.label, sheet="Config", cell=cell,
                action="give a period the indicator has a figure for, after the first")
        points.append((ind.labels.index(period), reason))
    return tuple(sorted(set(points)))


def spc_section(data: _Data, inds: list[Indicator], drawing: ChartSlots
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """SPC charts for indicators with at least 12 figures (fewer give unreliable limits),
    with the officer's recalculation points; and the indicators not charted, with how many
    figures they have."""
    from qa_xl.papers.spc import xmr

    rebases = rebase_settings(data)
    out, short = [], []
    for ind in inds:
        if ind.points < SPC_MIN_POINTS:
            short.append({"id": ind.id, "name": ind.name,
                          "points": _period_count(ind.labels, ind.points)})
            continue
        rebase = _rebase_points(data, ind, rebases.get(ind.id, []))
        spec = SpcSpec(ind.name, tuple(ind.labels), tuple(ind.values), ind.unit,
                       ind.improvement, ind.target, rebase)
        result = xmr(ind.values, improvement=ind.improvement, target=ind.target,
                     rebase_at=spec.rebase_at)
        seg = result.segments[-1]
        special = [c for c in ("improvement", "concern", "neither") if result.count(c)]
        since = [{"period": ind.labels[i], "reason": reason} for i, reason in rebase]
        note = ""
        if rebase and seg.n_values < SPC_MIN_POINTS:
            note = (f"The limits since {ind.labels[seg.start]} rest on "
                    f"{_period_count(ind.labels, seg.n_values)}, fewer than the "
                    f"{SPC_MIN_POINTS} that reliable limits need: read them with care.")
        variation = result.variation_icon
        assurance = result.assurance_icon or "none"
        out.append({
            "id": ind.id, "name": ind.name, "question": ind.question,
            "points": _period_count(ind.labels, ind.points),
            "latest": ind.fmt(ind.value), "mean": ind.fmt(seg.mean),
            "limits": f"{ind.fmt(clipped(seg.lpl, ind.unit))} to "
                      f"{ind.fmt(clipped(seg.upl, ind.unit))}",
            "target": ind.fmt(ind.target, "No target"),
            "variation": VARIATION_WORDS.get(result.variation, result.variation),
            "variation_text": result.variation_text,
            "variation_icon": drawing.add(IconSpec(variation), icon_alt(variation)),
            "assurance": ASSURANCE_WORDS.get(result.assurance, result.assurance),
            "assurance_text": result.assurance_text,
            "assurance_icon": drawing.add(IconSpec(assurance), icon_alt(assurance)),
            "special": ", ".join(f"{result.count(c)} {c if c != 'neither' else 'unusual'}"
                                 for c in special) or "No special cause",
            "rebases": since, "rebase_note": note,
            "chart": drawing.add(spec, alt := charts.spc_alt(spec, result)), "chart_alt": alt,
        })
    return out, short


def _period_count(labels: list[str], count: int) -> str:
    """'12 quarters': how many figures, in the series' own periods."""
    kind = labels[-1].rsplit(" ", 1)[-1][:1] if labels and " " in labels[-1] else "Y"
    one, many = charts.PERIOD_WORDS.get(kind, ("period", "periods"))
    return f"{count} {one if count == 1 else many}"

