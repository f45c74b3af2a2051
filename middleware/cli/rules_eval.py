"""Measure a rule set on labelled tickets: ``python -m middleware rules eval FILE...``.

Why a command and not only a test: the only honest figure for rules is the one on tickets they
were not tuned on, and those come from people (a blind set, agents' corrections exported by
``rules feedback --export``). An admin who changes a word or a weight needs the confusion
matrix, per-category recall and every miss and false alarm with the engine's explanation, for
any set, in one command.

Labelled set format (YAML or JSONL, one ticket per item/line; docs in rules/README.md):

    - id: c-001                 # any string; a number in it keeps ids unique
      subject: "labels print blank"
      description: |
        ...
      comment: "latest comment, optional"
      requester_email: ops@customer.example     # optional
      requester_role: end-user | agent | admin  # optional (default end-user when an email is given)
      via: web | email | api | ...              # optional
      priority / type / status / tags           # optional, as on a Zendesk ticket
      critical: true | false                    # the label
      category: security | outage | monitoring | staff_report   # for critical tickets
      why: "free text, ignored"                 # and any other key (language, source): ignored

A YAML file may also be a mapping with a ``tickets:`` list (the tuning corpus's format, where
``requester`` / ``organization`` are mappings).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from middleware.config.schema import load_yaml
from rules import Decision, RuleSet
from rules.model import Comment, Organization, Person, Ticket

__all__ = ["EvalItem", "LabelError", "evaluate", "format_evaluation", "load_labelled"]

class LabelError(ValueError):
    """A labelled file that cannot be read; the message names the file and the ticket."""


@dataclass(frozen=True)
class EvalItem:
    ref: str
    ticket: Ticket
    critical: bool
    category: str | None
    source: str
    # The ticket's language as the set labels it (``language: de``), for the report's lines per
    # language: which languages the rules miss in, or raise routine tickets in. None if unlabelled.
    language: str | None = None


def _ticket_id(ref: str, source: str, index: int) -> int:
    digits = "".join(ch for ch in ref if ch.isdigit())
    base = zlib.crc32(source.encode()) % 9000 + 1000
    return base * 1_000_000 + (int(digits[-6:]) if digits else index + 1)


def _item(raw: Any, source: str, index: int) -> EvalItem:
    if not isinstance(raw, dict):
        raise LabelError(f"{source}: item {index + 1} is not a mapping")
    ref = str(raw.get("id", index + 1)).strip()
    critical = raw.get("critical")
    if not isinstance(critical, bool):
        raise LabelError(f"{source}: ticket {ref}: 'critical' must be true or false")
    category = raw.get("category") or None
    if critical and category is None:
        raise LabelError(f"{source}: ticket {ref}: a critical ticket needs a category")
    requester = None
    if isinstance(raw.get("requester"), dict):
        requester = Person(**{k: v for k, v in raw["requester"].items() if k in ("id", "role", "email", "name")})
    elif raw.get("requester_role") or raw.get("requester_email"):
        requester = Person(role=raw.get("requester_role") or "end-user", email=raw.get("requester_email"))
    organization = None
    if isinstance(raw.get("organization"), dict):
        org = raw["organization"]
        organization = Organization(id=org.get("id"), name=org.get("name"), tags=tuple(org.get("tags") or ()),
                                    fields=dict(org.get("fields") or {}))
    comment = Comment(body=str(raw["comment"])) if raw.get("comment") else None
    ticket = Ticket(
        id=_ticket_id(ref, source, index),
        subject=str(raw.get("subject") or ""),
        description=str(raw.get("description") or ""),
        status=raw.get("status", "new"),
        priority=raw.get("priority"),
        type=raw.get("type"),
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        via_channel=raw.get("via"),
        organization_id=organization.id if organization else None,
        custom_fields={str(k): v for k, v in (raw.get("custom_fields") or {}).items()},
        requester=requester,
        organization=organization,
        latest_comment=comment,
    )
    language = raw.get("language")
    # YAML reads an unquoted `language: no` (Norwegian) as false
    language = "no" if language is False else (str(language or "").strip().lower() or None)
    return EvalItem(ref, ticket, critical, category if critical else None, source, language)


def load_labelled(path: str | Path) -> list[EvalItem]:
    """Read one labelled set (YAML list, YAML ``{tickets: [...]}`` or JSONL)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelError(f"{path}: cannot read: {exc.strerror or exc}") from None
    source = path.stem
    if path.suffix in (".jsonl", ".ndjson"):
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise LabelError(f"{path}:{n}: not JSON: {exc.msg}") from None
    else:
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            raise LabelError(f"{path}: not valid YAML: {exc}") from None
        items = data.get("tickets") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise LabelError(f"{path}: expected a list of tickets (or a mapping with 'tickets:')")
    return [_item(raw, source, i) for i, raw in enumerate(items)]


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def _row(item: EvalItem, decision: Decision) -> dict[str, Any]:
    """A ticket the report lists (a miss, a false alarm, a wrong category, a possible), with its
    explanation: written only for those, not for every ticket scored (a quarter of the time)."""
    return {"id": item.ref, "source": item.source, "subject": item.ticket.subject, "expected": item.critical,
            "expected_category": item.category, "tier": decision.tier, "category": decision.category,
            "score": decision.score, "explain": decision.explain()}


def evaluate(ruleset: RuleSet, items: Iterable[EvalItem]) -> dict[str, Any]:
    """Confusion matrix of the automatic flag, the possible tier's reach and every error."""
    tp = fp = fn = tn = cat_ok = 0
    possible_pos = possible_neg = 0
    per_cat: dict[str, list[int]] = {}
    # language -> [critical, flagged, flagged or possible, routine, routine flagged, routine possible]
    per_lang: dict[str, list[int]] = {}
    misses: list[dict[str, Any]] = []
    false_alarms: list[dict[str, Any]] = []
    wrong_category: list[dict[str, Any]] = []
    possibles: list[dict[str, Any]] = []
    for item in items:
        decision = ruleset.evaluate(item.ticket, complete=True)
        if item.language is not None:
            lang = per_lang.setdefault(item.language, [0, 0, 0, 0, 0, 0])
            base = 0 if item.critical else 3
            lang[base] += 1
            lang[base + 1] += decision.critical
            lang[base + 2] += decision.possible or (item.critical and decision.critical)  # (critical: or flagged)
        if item.critical:
            seen = per_cat.setdefault(item.category or "?", [0, 0, 0])
            seen[0] += 1
            if decision.critical:
                tp += 1
                seen[1] += 1
                seen[2] += 1
                if decision.category == item.category:
                    cat_ok += 1
                else:
                    wrong_category.append(_row(item, decision))
            else:
                fn += 1
                if decision.possible:
                    possible_pos += 1
                    seen[2] += 1
                    possibles.append(_row(item, decision))
                else:
                    misses.append(_row(item, decision))
        elif decision.critical:
            fp += 1
            false_alarms.append(_row(item, decision))
        else:
            tn += 1
            if decision.possible:
                possible_neg += 1
                possibles.append(_row(item, decision))
    positives, negatives = tp + fn, fp + tn
    return {
        "total": positives + negatives, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, positives),
        "category_accuracy": _ratio(cat_ok, tp),
        "reach": _ratio(tp + possible_pos, positives),  # flagged or put to a person
        "possible_of_negatives": possible_neg / negatives if negatives else 0.0,
        "possible_positives": possible_pos, "possible_negatives": possible_neg,
        "per_category": {c: {"critical": v[0], "flagged": v[1], "flagged_or_possible": v[2],
                             "recall": _ratio(v[1], v[0])} for c, v in sorted(per_cat.items())},
        "per_language": {lang: {"critical": v[0], "flagged": v[1], "flagged_or_possible": v[2], "routine": v[3],
                                "routine_flagged": v[4], "routine_possible": v[5]}
                         for lang, v in sorted(per_lang.items())},
        "misses": misses, "false_alarms": false_alarms, "wrong_category": wrong_category, "possibles": possibles,
    }  # fmt: skip


def format_evaluation(report: dict[str, Any], title: str, *, details: bool = True) -> str:
    """The figures, then every miss, false alarm and wrong category with its explanation."""
    r = report
    lines = [
        f"== {title}: {r['total']} tickets ==",
        f"automatic flag: precision {r['precision']:.3f}  recall {r['recall']:.3f}  "
        f"category accuracy {r['category_accuracy']:.3f}",
        "confusion:            labelled critical   labelled not",
        f"  flagged critical    {r['tp']:>17}   {r['fp']:>12}",
        f"  not flagged         {r['fn']:>17}   {r['tn']:>12}",
        f"possible tier: {r['possible_positives']} critical and {r['possible_negatives']} non-critical tickets "
        f"put to a person; flagged-or-possible reach {r['reach']:.3f}; possible rate on non-critical "
        f"{r['possible_of_negatives']:.3f}",
        "per category (recall of the flag; flagged or possible):",
    ]
    for cat, v in r["per_category"].items():
        lines.append(f"  {cat:<13} {v['flagged']:>3}/{v['critical']:<3} {v['recall']:.2f}; "
                     f"{v['flagged_or_possible']}/{v['critical']}")
    languages = r.get("per_language") or {}
    if len(languages) > 1:
        lines.append("per language (critical flagged; flagged or possible | routine flagged; possible):")
        for lang, v in languages.items():
            lines.append(f"  {lang:<6} {v['flagged']:>3}/{v['critical']:<3} {v['flagged_or_possible']:>3}/"
                         f"{v['critical']:<3} | {v['routine_flagged']:>3}/{v['routine']:<3} "
                         f"{v['routine_possible']:>3}/{v['routine']}")
    if details:
        for kind, word in (("misses", "miss"), ("false_alarms", "false alarm"), ("wrong_category", "wrong category"),
                           ("possibles", "possible")):
            for row in r[kind]:
                label = f"critical ({row['expected_category']})" if row["expected"] else "not critical"
                lines.append(f"-- {word} {row['id']}: "
                             f"{row['subject']!r}: labelled {label}, got {row['tier']}"
                             f" ({row['category'] or '-'}), score {row['score']}")
                lines.extend("     " + line for line in row["explain"].splitlines())
    return "\n".join(lines)


def evaluate_files(ruleset: RuleSet, paths: Sequence[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """One report per file, and a combined one when several files are given."""
    out: list[tuple[str, dict[str, Any]]] = []
    every: list[EvalItem] = []
    for path in paths:
        items = load_labelled(path)
        every.extend(items)
        out.append((str(path), evaluate(ruleset, items)))
    if len(paths) > 1:
        out.append(("all files", evaluate(ruleset, every)))
    return out
