"""``python -m middleware …``: the product's command line.

  worker         RQ worker(s) with the scheduler on all queues
  demo           everything on one machine, with sample tickets, until Ctrl-C
  simulator      the local Zendesk simulator on its own
  explain FILE   the rules' decision for a ticket or webhook payload (``--json``)
  check-config   validate config.yaml; exit 1 naming the key on error
  report         the lead-team report (``--since 7d``, ``--json``, ``--send``)
  action         post-incident review actions: ``add --incident ID --owner EMAIL --due DATE TEXT``, ``list``
  reconcile      catch up on missed webhooks from the incremental export (``--since 2h``)
  incident       tell customers: ``update ID --message-file F``, ``updates ID``, ``notify ID --orgs …``
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from middleware.config import ConfigError, load_config


def _cmd_worker(args: argparse.Namespace) -> int:
    from middleware import worker

    worker.run(burst=args.burst, processes=args.processes, log_level=args.log_level)
    return 0


def _cmd_check_config(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except (ConfigError, ValueError) as exc:
        print(f"{args.config or 'config'}: {exc}", file=sys.stderr)
        return 1
    print(f"{config.path}: OK ({len(config.rules.names)} rules: {', '.join(config.rules.names)})")
    return 0


def ticket_from_file_payload(data: dict[str, Any]) -> Any:
    """A ticket from what a user is likely to have at hand: a webhook body (event or trigger),
    ``{"ticket": {...}}`` as the REST API returns it, or a bare ticket object."""
    from middleware.normalize import normalize_payload
    from middleware.zendesk import ticket_from_api

    if "ticket" in data and isinstance(data["ticket"], dict) and "type" not in data:
        return ticket_from_api(data["ticket"])
    if "detail" in data or "ticket_id" in data:
        event = normalize_payload(data, headers={})
        if event is None:
            raise ValueError("this payload is not a ticket event")
        return event.ticket
    return ticket_from_api(data)


def _cmd_explain(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except (ConfigError, ValueError) as exc:
        print(f"config: {exc}", file=sys.stderr)
        return 2
    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
        ticket = ticket_from_file_payload(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"{args.file}: cannot read a ticket from it: {exc}", file=sys.stderr)
        return 2
    decision = config.rules.evaluate(ticket)
    if args.json:
        print(json.dumps({"ticket_id": ticket.id, **decision.to_dict()}, indent=2, sort_keys=True))
    else:
        print(f"Ticket {ticket.id}: {ticket.subject!r}")
        print(decision.explain())
    return 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    """Queue every ticket changed since ``--since`` (else since the stored cursor) that the
    receiver never saw; the worker then triages them. Safe to run any number of times."""
    from jobs import reconcile, runtime
    from middleware.config import parse_duration
    from middleware.zendesk import ZendeskError

    try:
        since = parse_duration(args.since, "--since") if args.since else None
    except ConfigError as exc:
        print(f"--since: {exc.problem}", file=sys.stderr)
        return 2
    try:
        counts = reconcile.reconcile(runtime.get(), since=since)
    except (ConfigError, ZendeskError) as exc:
        print(f"reconcile failed: {exc}", file=sys.stderr)
        return 1
    print(f"reconcile: {counts.summary()}")
    for note in counts.notes:
        print(f"reconcile: {note}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from middleware.demo import run_demo

    return run_demo(once=args.once, keep_seconds=args.keep)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m middleware", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="config file (default: $MIDDLEWARE_CONFIG or config.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("worker", help="run RQ worker(s) with the scheduler")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    p.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--log-level", default="INFO")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("check-config", help="validate the configuration")
    p.set_defaults(func=_cmd_check_config)

    p = sub.add_parser("explain", help="show the rules' decision for a ticket or webhook payload")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_explain)

    sub.add_parser("simulator", help="run the local Zendesk simulator (options: simulator --help)")

    p = sub.add_parser("demo", help="run everything locally with sample tickets")
    p.add_argument("--once", action="store_true", help="show the result and exit (no waiting for Ctrl-C)")
    p.add_argument("--keep", type=float, default=None, help="stay up this many seconds, then exit")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("reconcile", help="catch up on missed webhooks from Zendesk's incremental export")
    p.add_argument("--since", default=None, help="look back this far (e.g. 2h, 30m); default: from the stored cursor")
    p.set_defaults(func=_cmd_reconcile)

    from middleware.lifecycle_cli import add_parsers as add_lifecycle_parsers

    add_lifecycle_parsers(sub)  # report, action (docs/lifecycle.md)
    from middleware.customer_updates_cli import add_parsers as add_incident_parsers

    add_incident_parsers(sub)  # incident update|updates|notify (docs/customer-updates.md)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["simulator"]:
        # The simulator has its own options (--host, --port, …): hand them over untouched.
        from middleware.simulator import main as simulator_main

        return int(simulator_main(argv[1:]) or 0)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if getattr(args, "config", None):
        import os

        os.environ["MIDDLEWARE_CONFIG"] = args.config
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
