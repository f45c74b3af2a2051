"""``python -m middleware rules …``: measure the rules and learn from agents.

  rules eval FILE...            confusion matrix, per-category recall, every miss and false alarm
  rules feedback --since 30d    agents' corrections of the rules (``--export FILE`` as a labelled set)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from middleware.cli.arguments import config_or_none


def _cmd_eval(args: argparse.Namespace) -> int:
    from middleware.cli.rules_eval import LabelError, evaluate_files, format_evaluation

    config = config_or_none(args.config)
    if config is None:
        return 2
    try:
        reports = evaluate_files(config.rules, args.files)
    except LabelError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({name: {k: v for k, v in r.items() if args.details or not isinstance(v, list)}
                          for name, r in reports}, indent=2, default=str))
        return 0
    for name, report in reports:
        print(format_evaluation(report, name, details=not args.summary))
        print()
    return 0


def add_parsers(sub: Any) -> None:
    """Register ``rules`` and its sub-commands on the main parser."""
    p = sub.add_parser("rules", help="measure the rules on labelled tickets; agents' feedback")
    rsub = p.add_subparsers(dest="rules_command", required=True)
    e = rsub.add_parser("eval", help="score the configured rules on labelled YAML/JSONL sets (rules/README.md)")
    e.add_argument("files", nargs="+", help="labelled sets: .yaml/.yml (a list, or {tickets: [...]}) or .jsonl")
    e.add_argument("--summary", action="store_true", help="figures only, no per-ticket explanations")
    e.add_argument("--json", action="store_true", help="machine-readable figures")
    e.add_argument("--details", action="store_true", help="with --json: include every miss and false alarm")
    e.set_defaults(func=_cmd_eval)
    from middleware.cli.rules_feedback import add_feedback_parser

    add_feedback_parser(rsub)
