"""The summary at the front of a paper: key findings, good practice, significant risks and
improvements (the Q&PC's standing agenda item), drawn from the sections that follow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa_xl.papers.data import (
    _capped,
    _Data,
    _plural,
)

if TYPE_CHECKING:
    pass

from qa_xl.papers.scorecard import rag_counts

# -------------------------------------------------------------------------------- summary

def summary_section(data: _Data, groups: list[dict[str, Any]], programme: dict[str, Any],
             risks: dict[str, Any], audits: dict[str, Any], voice: dict[str, Any],
             actions: dict[str, Any], compliance: dict[str, Any]) -> dict[str, Any]:
    """The standing agenda item: key findings, good practice, significant risks and
    improvements, each a short list of sentences drawn from the sections that follow."""
    rows = [r for g in groups for r in g["rows"]]
    counts = rag_counts(rows)
    rated = counts["green"] + counts["amber"] + counts["red"]
    quarter = str(data.quarter)
    findings = [
        f"Of {_plural(rated, 'indicator')} with a target, {counts['green']} "
        f"{'is' if counts['green'] == 1 else 'are'} Green, {counts['amber']} Amber and "
        f"{counts['red']} Red in {quarter}." if rated else
        f"No indicator had both a target and a figure in {quarter}."]
    red = [r for r in rows if r["rag"] == "Red"]
    if red:
        findings.append("Red: " + "; ".join(f"{r['name']} ({r['value']} against a target of "
                                            f"{r['target']})" for r in red[:4])
                        + (f"; and {len(red) - 4} more." if len(red) > 4 else "."))
    moved = [r["direction"] for r in rows]
    findings.append(f"Since the previous period {moved.count('Improving')} indicators improved "
                    f"and {moved.count('Worsening')} worsened.")
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
                        f"({theme['audits']} audits).")
    shown = [q for q in voice["questions"] if q["yes"].endswith("%")]
    if shown:
        findings.append("Voice of children and families, all partners: " + "; ".join(
            f"{q['yes']} yes to “{q['question']}”" for q in shown) + ".")
    findings.append(programme["summary"])
    reported = [f"{a['title']} ({a['date']}): {a['findings']}" for a in programme["reported"]]
    findings += reported[:3]
    if len(reported) > 3:
        findings.append(f"{_plural(len(reported) - 3, 'more activity', 'more activities')} "
                        "reported findings: see the QA programme section.")

    good = [f"{r['name']} is Green and improving ({r['value']}; target {r['target']})."
            for r in rows if r["rag"] == "Green" and r["direction"] == "Improving"]
    good += [f"Case-file audit strength: {s['strength']} ({_plural(s['gradings'], 'grading')} "
             "Good or better)." for s in audits["strengths"]]
    good += [f"“{s['story']}” ({s['partner']})" for s in voice["stories"][:2]]

    significant = [f"{r['id']} {r['title']}: score {r['score']} ({r['band']}), "
                   f"{r['change'].lower()}" + (f" from {r['previous']}"
                                               if r["previous"] != "None" else "")
                   + (f"; owner {r['owner']}." if r["owner"] else ".")
                   for r in risks["significant"]]
    significant += [f"{r['name']} is Red and worsening ({r['value']} against {r['target']})."
                    for r in rows if r["rag"] == "Red" and r["direction"] == "Worsening"]
    if actions["counts"]["overdue"]:
        overdue = _plural(actions["counts"]["overdue"], "learning and improvement action")
        significant.append(f"{overdue} overdue.")
    if programme["counts"]["overdue"]:
        significant.append("Overdue QA activities: " + "; ".join(
            a["title"] for a in programme["overdue"]) + ".")
    if audits["unactioned"]:
        significant.append(f"{_plural(len(audits['unactioned']), 'audit recommendation')} "
                           "without an action.")

    better = [f"{r['name']} improved from {r['previous']} to {r['value']}."
              for r in rows if r["direction"] == "Improving"]
    better += [f"{r['id']} {r['title']}: risk score down from {r['previous']} to {r['score']}."
               for r in risks["open"] if r["change"] == "Improving"]
    better += [f"{a['id']} ({a['area']}): {a['evidence']}" for a in actions["impact"]]
    return {
        "key_findings": findings,
        "good_practice": _capped(good, "in the sections below"),
        "significant_risks": _capped(significant, "in the risk and action sections"),
        "improvements": _capped(better, "in the scorecard and action sections"),
        "rag_counts": [{"question": g["question"], **g["counts"]} for g in groups],
        "totals": counts,
    }

