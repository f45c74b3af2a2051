"""``python -m middleware rules feedback``: what agents said about the rules' decisions.

  rules feedback [--since 30d] [--json]       every correction, newest last, and the rules'
                                              precision and recall in production
  rules feedback --since 90d --export F.yaml  the corrections as a labelled set for ``rules eval``

Runs with the worker's environment (``REDIS_URL``, ``MIDDLEWARE_CONFIG``); reads Redis only.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from middleware.cli.arguments import add_period_command, since_or_none
from middleware.store.feedback import FeedbackRecord, FeedbackStore, flagged_by_rules, production_figures

__all__ = ["add_feedback_parser"]

KIND_WORDS = {"false_alarm": "flag taken back (false alarm)", "missed": "tagged by hand (missed)",
              "confirmed": "possible, confirmed", "dismissed": "possible, dismissed"}


def _figures(rt: Any, since: datetime) -> tuple[list[FeedbackRecord], dict[str, Any]]:
    records = FeedbackStore(rt.redis, rt.keys).since(since)
    incidents = rt.incidents.many(rt.incidents.all_ids(since))
    return records, production_figures(records, flagged_by_rules(incidents))


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _cmd_feedback(args: argparse.Namespace) -> int:
    from jobs import runtime

    period = since_or_none(args.since, "rules feedback")
    if period is None:
        return 2
    rt = runtime.build()  # a missing setting or an unreachable Redis: one line from main()
    since = rt.clock() - period
    records, figures = _figures(rt, since)
    if args.export:
        items = [r.labelled() for r in records]
        Path(args.export).write_text(yaml.safe_dump(items, allow_unicode=True, sort_keys=False), encoding="utf-8")
        print(f"{len(items)} labelled tickets written to {args.export} "
              f"(python -m middleware rules eval {args.export})")
        return 0
    if args.json:
        print(json.dumps({"since": since.isoformat(), **figures,
                          "records": [json.loads(r.to_json()) for r in records]}, indent=2, sort_keys=True))
        return 0
    print(f"Agents' corrections since {since:%Y-%m-%d %H:%M} UTC ({args.since}):")
    for r in records:
        score = "" if r.rules_score is None else f", score {r.rules_score:g}"
        print(f"  {r.at:%Y-%m-%d %H:%M}  #{r.ticket_id}  {KIND_WORDS[r.kind]:<32} rules said {r.rules_tier}{score}"
              f"  {r.subject[:60]!r}")
    if not records:
        print("  (none)")
    print(f"In production: {figures['flagged']} flagged by the rules, {figures['false_alarm']} taken back, "
          f"{figures['missed']} tagged by hand, possibles {figures['confirmed']} confirmed / "
          f"{figures['dismissed']} dismissed.")
    print(f"Precision {_ratio(figures['precision'])}, recall {_ratio(figures['recall'])}, flagged or put to a "
          f"person {_ratio(figures['flagged_or_possible'])}.")
    return 0


def add_feedback_parser(rsub: Any) -> None:
    p = add_period_command(rsub, "feedback", "agents' corrections of the rules; --export as a labelled set",
                           _cmd_feedback, since="30d")
    p.add_argument("--export", metavar="FILE", help="write the corrections as a labelled YAML set (rules eval)")
