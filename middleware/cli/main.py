"""``python -m middleware …``: the product's command line.

  worker         RQ worker(s) with the scheduler on all queues
  demo           everything on one machine, with sample tickets, until Ctrl-C
  simulator      the local Zendesk simulator on its own
  explain FILE   the rules' decision for a ticket or webhook payload (``--json``)
  check-config   validate config.yaml; exit 1 naming the key on error (``--env``: and the environment)
  report         the lead-team report (``--since 7d``, ``--json``, ``--send``)
  action         post-incident review actions: ``add --incident ID --owner EMAIL --due DATE TEXT``, ``list``
  reconcile      catch up on missed webhooks from the incremental export (``--since 2h``)
  jobs           jobs that failed for good: ``failed`` (ticket ids, errors), ``retry ID|--all``
  incident       tell customers: ``update ID --message-file F``, ``updates ID``, ``notify ID --orgs …``
  rules          ``rules eval FILE...`` measures the rules on labelled sets; ``rules feedback`` lists
                 agents' corrections (``--export FILE`` writes them as a labelled set)

Each command imports what it needs inside its own function: `explain` or `check-config` should
not load RQ, Flask, zenpy and the jobs to answer in a moment (none of these imports breaks a cycle).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from middleware.cli.arguments import config_or_none, since_or_none
from middleware.config import ConfigError


def _cmd_worker(args: argparse.Namespace) -> int:
    from middleware import worker

    worker.run(burst=args.burst, processes=args.processes, log_level=args.log_level)
    return 0


def _cmd_check_config(args: argparse.Namespace) -> int:
    import os

    config = config_or_none(args.config, args.config or "config")
    if config is None:
        return 1
    signals = config.rules.scorer
    scored = (f"; {len(signals.signals)} signals, critical at {signals.critical:g}, possible at {signals.possible:g}"
              if signals is not None else "")
    print(f"{config.path}: OK ({len(config.rules.names)} rules: {', '.join(config.rules.names)}{scored})")
    if not args.env:
        return 0
    from middleware.cli.env_check import check_environment

    findings = check_environment(config, os.environ)
    print("environment (the web app and the workers):")
    for finding in findings:
        print(finding.line())
    errors = sum(f.level == "error" for f in findings)
    if errors:
        print(f"{errors} problem(s): the product cannot run like this", file=sys.stderr)
    return 1 if errors else 0


def ticket_from_file_payload(data: Any) -> Any:
    """A ticket from what a user is likely to have at hand: a webhook body (event or trigger),
    ``{"ticket": {...}}`` as the REST API returns it, or a bare ticket object.

    Raises ``ValueError`` with a sentence a user can act on (what was found, what is expected).
    """
    from middleware.zendesk.mapping import ticket_from_api
    from middleware.zendesk.webhook.normalize import normalize_payload

    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(data), "a number")
        raise ValueError(f"it holds {kind}, not a JSON object (a webhook body, {{\"ticket\": {{...}}}} or a ticket)")
    if "ticket" in data and isinstance(data["ticket"], dict) and "type" not in data:
        data = data["ticket"]
    elif "detail" in data or "ticket_id" in data:
        event = normalize_payload(data, headers={})
        if event is None:
            raise ValueError("this payload is not a ticket event")
        return event.ticket
    ticket_id = data.get("id")
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int | str) or not str(ticket_id).strip().isdigit():
        raise ValueError("the ticket has no numeric \"id\"" if ticket_id is None
                         else f"the ticket's \"id\" is {ticket_id!r}, not a number")
    return ticket_from_api(data)


def _cmd_explain(args: argparse.Namespace) -> int:
    config = config_or_none(args.config)
    if config is None:
        return 2
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"explain: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"explain: {args.file} is not UTF-8 text (a JSON file is)", file=sys.stderr)
        return 2
    try:
        data = json.loads(text)
    except ValueError as exc:
        print(f"explain: {args.file} is not JSON ({exc})", file=sys.stderr)
        return 2
    try:
        ticket = ticket_from_file_payload(data)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"explain: {args.file}: {exc}", file=sys.stderr)
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
    from middleware.zendesk.errors import ZendeskError

    since = since_or_none(args.since, "--since") if args.since else None
    if args.since and since is None:
        return 2
    rt = runtime.get()  # a missing setting is the user's to fix: one line, exit 2 (main)
    try:
        counts = reconcile.reconcile(rt, since=since)
    except (ConfigError, ZendeskError) as exc:
        print(f"reconcile failed: {exc}", file=sys.stderr)
        return 1
    print(f"reconcile: {counts.summary()}")
    for note in counts.notes:
        print(f"reconcile: {note}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from middleware.local.demo import run_demo

    return run_demo(once=args.once, keep_seconds=args.keep, env_file=Path(args.env_file) if args.env_file else None,
                    any_port=args.any_port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m middleware", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=None, help="config file (default: $MIDDLEWARE_CONFIG or config.yaml)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("worker", help="run RQ worker(s) with the scheduler")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    p.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--log-level", default="INFO")
    p.set_defaults(func=_cmd_worker)

    p = sub.add_parser("check-config", help="validate the configuration (--env: and the environment)")
    p.add_argument("--env", action="store_true",
                   help="also check the secrets and addresses the web app and workers need, and that Redis answers")
    p.set_defaults(func=_cmd_check_config)

    p = sub.add_parser("explain", help="show the rules' decision for a ticket or webhook payload")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_explain)

    sub.add_parser("simulator", help="run the local Zendesk simulator (options: simulator --help)")

    p = sub.add_parser("demo", help="run everything locally with sample tickets")
    p.add_argument("--once", action="store_true", help="show the result and exit (no waiting for Ctrl-C)")
    p.add_argument("--keep", type=float, default=None, help="stay up this many seconds, then exit")
    p.add_argument("--env-file", default=None, help="where to write the demo's environment (default: .demo.env)")
    p.add_argument("--any-port", action="store_true", help="free ports chosen at random instead of 8765 and 8000")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("reconcile", help="catch up on missed webhooks from Zendesk's incremental export")
    p.add_argument("--since", default=None, help="look back this far (e.g. 2h, 30m); default: from the stored cursor")
    p.set_defaults(func=_cmd_reconcile)

    from middleware.cli.lifecycle import add_parsers as add_lifecycle_parsers

    add_lifecycle_parsers(sub)  # report, action (docs/lifecycle.md)
    from middleware.cli.customer_updates import add_parsers as add_incident_parsers

    add_incident_parsers(sub)  # incident update|updates|notify (docs/customer-updates.md)
    from middleware.cli.jobs import add_parsers as add_jobs_parsers

    add_jobs_parsers(sub)  # jobs failed|retry
    from middleware.cli.rules import add_parsers as add_rules_parsers

    add_rules_parsers(sub)  # rules eval, rules feedback (rules/README.md)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["simulator"]:
        # The simulator has its own options (--host, --port, …): hand them over untouched.
        from middleware.local.simulator import main as simulator_main

        return int(simulator_main(argv[1:]) or 0)
    from middleware import logs

    logs.configure(logging.INFO)  # LOG_FORMAT=json: one JSON object per line
    args = build_parser().parse_args(argv)
    if getattr(args, "config", None):
        import os

        os.environ["MIDDLEWARE_CONFIG"] = args.config
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `… | head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        problem = user_problem(exc)
        if problem is None:
            raise  # a bug: the traceback is what a maintainer needs
        print(f"{args.command}: {problem}", file=sys.stderr)
        return 2


def user_problem(exc: BaseException) -> str | None:
    """One line for a failure the user can fix (a missing setting, an unreachable Redis or
    Zendesk, a bad config); None for anything else, which is a bug and keeps its traceback."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from middleware.store.connection import redact_url, redis_url
    from middleware.zendesk.errors import ZendeskError

    if isinstance(exc, ConfigError):
        return str(exc) if str(exc).startswith("config error") else f"config error: {exc}"
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
        return f"cannot reach Redis at {redact_url(redis_url())} (REDIS_URL): {exc}"
    if isinstance(exc, ZendeskError):  # a missing ZENDESK_* setting names itself
        return str(exc) if "ZENDESK_" in str(exc) else f"Zendesk: {exc}"
    return None


def version() -> str:
    """The ``[project] version`` of pyproject.toml (the one place it is written)."""
    import tomllib

    try:
        with open(Path(__file__).resolve().parents[2] / "pyproject.toml", "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, ValueError):
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        try:
            return installed("critical-incident-middleware")
        except PackageNotFoundError:
            return "unknown"
