"""The summary at the front of a paper: what needs attention first, then key findings, good
practice, significant risks and improvements (the Q&PC's standing agenda item), drawn from
the sections that follow.

Worst first, nothing hidden: the headline always states the counts (indicators Red and how
many of them are worsening, overdue actions, overdue QA activities, risks in the top band),
however short the lists below it are; the attention list ranks the Red and worsening
indicators first by how far they are from target, then the other Red ones, then overdue work.
Each list is free of repeats, and no sentence appears in two lists. A figure is called good
practice or an improvement only when its better direction is clear (see
:attr:`qa_xl.papers.scorecard.Indicator.polarity_clear`).
"""

from __future__ import annotations

from typing import Any

from qa_xl.core.words import plural
from qa_xl.papers.data import LIST_LIMIT, _capped, _Data
from qa_xl.papers.scorecard import Indicator, rag_counts

ATTENTION_LIMIT = 8  # Red indicators named in the attention list beyond the worsening ones


def is_are(count: int, one: str, many: str | None = None) -> str:
    """'no action is', '1 action is', '3 actions are'."""
    if count == 0:
        return f"no {one} is"
    return f"{plural(count, one, many)} {'is' if count == 1 else 'are'}"


def _unique(items: list[str], seen: set[str] | None = None) -> list[str]:
    """Items in order without repeats (nor any already in ``seen``, which is updated)."""
    seen = set() if seen is None else seen
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def counts(inds: list[Indicator], programme: dict[str, Any], risks: dict[str, Any],
           actions: dict[str, Any]) -> dict[str, Any]:
    """The numbers the headline states, whatever the lists show."""
    words = [i.rag for i in inds]
    top = risks["by_band"][0] if risks["by_band"] else {"band": "top band", "count": 0}
    return {
        "indicators": len(inds), "red": words.count("Red"), "amber": words.count("Amber"),
        "green": words.count("Green"),
        "red_worsening": sum(i.rag == "Red" and i.direction == "Worsening" for i in inds),
        "actions_overdue": actions["counts"]["overdue"],
        "activities_overdue": programme["counts"]["overdue"],
        "risks_top": top["count"], "risks_top_band": top["band"],
    }


def headline(period: str, n: dict[str, Any]) -> str:
    """One sentence of the counts that matter most."""
    red = is_are(n["red"], "indicator") + " Red"
    if n["red"]:
        red += (f" ({n['red_worsening']} of them worsening)" if n["red_worsening"] > 1 else
                " (it is worsening)" if n["red_worsening"] == 1 and n["red"] == 1 else
                " (1 of them worsening)" if n["red_worsening"] == 1 else
                " (none of them worsening)")
    parts = [red, is_are(n["actions_overdue"], "learning and improvement action") + " overdue",
             is_are(n["activities_overdue"], "QA activity", "QA activities") + " overdue",
             is_are(n["risks_top"], "risk") + f" {n['risks_top_band']}"]
    return f"In {period}, {', '.join(parts[:-1])} and {parts[-1]}."


def _red_item(ind: Indicator) -> str:
    moved = ind.moved()
    worse = ind.direction == "Worsening"
    part = (", reported for part of the period only" if int(ind.row.get("partial", 0) or 0)
            else "")
    return (f"{ind.name}: {ind.fmt(ind.value)} against a target of {ind.fmt(ind.target)}"
            + (f", {moved}" if moved else "") + (" (Red and worsening" if worse else " (Red")
            + f"{part}).")


def _overdue(title: str, items: list[tuple[str, str]], section: str) -> str | None:
    if not items:
        return None
    named = "; ".join(f"{what} (due {due})" for what, due in items[:3])
    more = f"; and {len(items) - 3} more" if len(items) > 3 else ""
    first = "the longest overdue " if len(items) > 1 else ""
    return (f"{is_are(len(items), *title.split('|'))} overdue, {first}{named}{more}. "
            f"See {section}.")


def attention(inds: list[Indicator], programme: dict[str, Any], actions: dict[str, Any],
              sections: dict[str, str]) -> list[str]:
    """Worst first: the Red and worsening indicators by distance from target, then the
    other Red ones, then overdue actions and QA activities. Every Red and worsening
    indicator is named; past :data:`ATTENTION_LIMIT` the other Red ones are counted."""
    red = [i for i in inds if i.rag == "Red"]
    worsening = sorted((i for i in red if i.direction == "Worsening"),
                       key=lambda i: -i.distance)
    others = sorted((i for i in red if i.direction != "Worsening"), key=lambda i: -i.distance)
    room = max(0, ATTENTION_LIMIT - len(worsening))
    items = [_red_item(i) for i in worsening + others[:room]]
    if len(others) > room:
        rest = len(others) - room
        items.append(f"{plural(rest, 'more Red indicator')}, not worsening: see "
                     f"{sections['scorecard']}.")
    overdue_actions = [(a["id"], a["due"]) for a in actions["overdue"]]
    overdue_work = [(a["title"], a["next_due"]) for a in programme["overdue"]]
    for title, found, section in (
            ("learning and improvement action", overdue_actions, sections["actions"]),
            ("QA activity|QA activities", overdue_work, sections["programme"])):
        sentence = _overdue(title, found, section)
        if sentence:
            items.append(sentence)
    return _unique(items)


def _reported(programme: dict[str, Any]) -> list[str]:
    """Findings reported this quarter, each wording once: activities that reported the same
    findings are named together."""
    by_text: dict[str, list[dict[str, Any]]] = {}
    for a in programme["reported"]:
        by_text.setdefault(a["findings"], []).append(a)
    out = []
    for text, acts in by_text.items():
        if len(acts) == 1:
            out.append(f"{acts[0]['title']} ({acts[0]['date']}): {text}")
        else:
            names = "; ".join(a["title"] for a in acts)
            out.append(f"{len(acts)} activities reported the same findings ({names}): {text}")
    return out


def _good_and_better(inds: list[Indicator], risks: dict[str, Any], actions: dict[str, Any]
                     ) -> tuple[list[str], list[str]]:
    """Good practice (Green and improving) and the other improvements, each indicator in
    one list only, and only where its better direction is clear."""
    clear = [i for i in inds if i.polarity_clear and i.direction == "Improving"]
    green = [i for i in clear if i.rag == "Green"]
    good = [f"{i.name} is Green and improving: {i.fmt(i.value)}, {i.moved()}; target "
            f"{i.fmt(i.target)}." for i in green]
    better = [f"{i.name} improved: {i.fmt(i.value)}, {i.moved()}"
              + (f" (target {i.fmt(i.target)}, {i.rag})." if i.target is not None else ".")
              for i in clear if i.rag != "Green"]
    better += [f"{r['id']} {r['title']}: risk score down from {r['previous']} to {r['score']}."
               for r in risks["open"] if r["change"] == "Improving"]
    better += [f"{a['id']} ({a['area']}): {a['evidence']}" for a in actions["impact"]]
    return good, better


def _significant(risks: dict[str, Any]) -> list[str]:
    return [f"{r['id']} {r['title']}: score {r['score']} ({r['band']}), "
            f"{r['change'].lower()}" + (f" from {r['previous']}"
                                        if r["previous"] != "Not scored" else "")
            + (f"; owner {r['owner']}." if r["owner"] else ".")
            for r in risks["significant"]]


def summary_section(data: _Data, inds: list[Indicator], groups: list[dict[str, Any]],
                    programme: dict[str, Any], risks: dict[str, Any], audits: dict[str, Any],
                    voice: dict[str, Any], actions: dict[str, Any],
                    compliance: dict[str, Any]) -> dict[str, Any]:
    """The Q&PC pack's summary: headline and attention first, then the standing agenda
    item's four lists, each drawn from the sections that follow."""
    quarter = str(data.quarter)
    sections = {"scorecard": "the performance scorecard",
                "actions": "Learning and improvement actions",
                "programme": "QA programme: progress and forward plan"}
    n = counts(inds, programme, risks, actions)
    rows = [r for g in groups for r in g["rows"]]
    findings = [_rag_sentence(rag_counts(rows), quarter), _movement(inds, "period")]
    findings.append(compliance["summary"] + (
        f" Missing: {', '.join(compliance['missing'])}." if compliance["missing"] else ""))
    if audits["history"]:
        latest = audits["history"][-1]
        earlier = f" (previous audit {audits['history'][-2]['good_share']})" if len(
            audits["history"]) > 1 else ""
        findings.append(f"Case-file audit {latest['id']} ({latest['theme']}, {latest['date']}):"
                        f" {latest['good_share']} of {latest['gradings']} gradings were Good "
                        f"or better{earlier}.")
    for theme in audits["themes"][:1]:
        findings.append(f"Recurring area for development in audits: {theme['theme']} "
                        f"({plural(theme['audits'], 'audit')}).")
    shown = [q for q in voice["questions"] if q["yes"].endswith("%")]
    if shown:
        findings.append("Voice of children and families, all partners: " + "; ".join(
            f"{q['yes']} yes to “{q['question']}”" for q in shown) + ".")
    findings.append(programme["summary"])
    reported = _reported(programme)
    findings += reported[:3]
    if len(reported) > 3:
        findings.append(f"{plural(len(reported) - 3, 'more activity', 'more activities')} "
                        "reported findings: see the QA programme section.")

    good, better = _good_and_better(inds, risks, actions)
    good += [f"Case-file audit strength: {s['strength']} ({plural(s['gradings'], 'grading')} "
             "Good or better)." for s in audits["strengths"]]
    good += [f"“{s['story']}” ({s['partner']})" for s in voice["stories"][:2]]
    significant = _significant(risks)
    if audits["unactioned"]:
        significant.append(f"{plural(len(audits['unactioned']), 'audit recommendation')} "
                           "without an action: see Case-file audit findings.")
    return _lists(quarter, n, attention(inds, programme, actions, sections), findings, good,
                  significant, better, groups, rows,
                  ("in the sections below", "in the risk register section",
                   "in the scorecard and the learning and improvement section"))


def board_summary(data: _Data, period: str, inds: list[Indicator],
                  groups: list[dict[str, Any]], programme: dict[str, Any],
                  risks: dict[str, Any], actions: dict[str, Any]) -> dict[str, Any]:
    """The Board report's own summary, from the half-year's figures and only the sections
    the report holds (scorecard, risks, QA programme, learning and improvement)."""
    sections = {"scorecard": "the headline scorecard and its appendix",
                "actions": "Learning and improvement",
                "programme": "Quality assurance programme"}
    n = counts(inds, programme, risks, actions)
    rows = [r for g in groups for r in g["rows"]]
    findings = [_rag_sentence(rag_counts(rows), period), _movement(inds, "half-year"),
                programme["summary"], actions["summary"]]
    good, better = _good_and_better(inds, risks, actions)
    return _lists(period, n, attention(inds, programme, actions, sections), findings, good,
                  _significant(risks), better, groups, rows,
                  ("in the headline scorecard", "in Key risks",
                   "in the scorecard and Learning and improvement"))


def _lists(period: str, n: dict[str, Any], items: list[str], findings: list[str],
           good: list[str], significant: list[str], better: list[str],
           groups: list[dict[str, Any]], rows: list[dict[str, Any]],
           where: tuple[str, str, str]) -> dict[str, Any]:
    seen = set(items)
    return {
        "headline": headline(period, n), "counts": n, "attention": items,
        "key_findings": _unique(findings, seen),
        "good_practice": _capped(_unique(good, seen), where[0]),
        "significant_risks": _capped(_unique(significant, seen), where[1]),
        "improvements": _capped(_unique(better, seen), where[2]),
        "rag_counts": [{"question": g["question"], **g["counts"]} for g in groups],
        "totals": rag_counts(rows),
    }


def _rag_sentence(c: dict[str, int], period: str) -> str:
    rated = c["green"] + c["amber"] + c["red"]
    if not rated:
        return f"No indicator had both a target and a figure in {period}."
    return (f"Of {plural(rated, 'indicator')} with a target and a figure in {period}, "
            f"{c['green']} {'is' if c['green'] == 1 else 'are'} Green, {c['amber']} Amber and "
            f"{c['red']} Red.")


def _movement(inds: list[Indicator], what: str) -> str:
    moved = [i.direction for i in inds]
    up, down = moved.count("Improving"), moved.count("Worsening")
    return (f"Since the previous {what}, {plural(up, 'indicator')} improved and "
            f"{plural(down, 'indicator')} worsened.")


__all__ = ["LIST_LIMIT", "attention", "board_summary", "counts", "headline", "summary_section"]
