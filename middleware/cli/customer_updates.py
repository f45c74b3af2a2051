"""``python -m middleware incident …``: tell customers about an incident, when a person asks.

  incident update ID (--message-file F | --message TEXT) [--by NAME] [--update-id ID] [--allow-security] [--dry-run]
  incident updates ID                                     the incident's status updates and their outcome
  incident notify ID (--orgs ID,ID | --org-tag TAG | --all-customers) (--message-file F | --message TEXT)
                  [--subject S] [--dry-run] [--yes] [--by NAME] [--notice-id ID] [--allow-security]
  incident notices ID                                     the incident's proactive notices and who they reached

``notify`` first reads from Zendesk who would be told (the organisations, their incident
contacts) and prints it with what the send costs in Zendesk calls; ``--dry-run`` stops there.

The command records the request and queues the job a worker runs (``cim-lifecycle``), then waits
for it (``--wait``, default 120 s; ``--no-wait`` to return at once) and prints the outcome. Exit
status: 0 done (or queued with ``--no-wait``), 1 refused (policy, message, unknown incident),
2 bad arguments, 3 still running when the wait ran out (the worker finishes it; ``incident
updates ID`` shows the outcome later).

The commands import what they need inside their functions, so the command line starts fast
(none of these imports breaks a cycle).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from middleware.config import ConfigError

__all__ = ["add_parsers", "read_message"]


def read_message(args: argparse.Namespace) -> str:
    """The message from ``--message`` or ``--message-file`` (``-`` for stdin)."""
    if args.message is not None:
        return str(args.message)
    if args.message_file == "-":
        return sys.stdin.read()
    return Path(args.message_file).read_text(encoding="utf-8")


def _connect() -> tuple[Any, Any, Any]:
    """Config, Redis and key names: all a request needs (Zendesk is the worker's business)."""
    from middleware.config import load_config
    from middleware.store.connection import Keys, connect

    config = load_config()
    return config, connect(), Keys(config.redis_prefix)


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def wait_for(done: Any, seconds: float) -> bool:
    """Poll ``done()`` every half second for up to ``seconds``; True once it says so."""
    deadline = time.monotonic() + seconds
    while True:
        if done():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def _outcome(args: argparse.Namespace, what: str, request: Any, listing: str,
             status: Callable[[], dict[str, Any] | None]) -> int:
    """Say that the send is queued (or was asked for before), wait for the worker to finish it
    and print its outcome; ``incident <listing> ID`` shows it later if the wait runs out."""
    verb = "queued" if request.created else f"already requested ({request.state})"
    print(f"{what} of incident #{args.incident} {verb}, asked for by {request.by}")
    if args.no_wait:
        return 0
    if not wait_for(lambda: (status() or {}).get("state") == "done", args.wait):
        print(f"still being sent after {args.wait:.0f} s (is a worker running?); "
              f"see: python -m middleware incident {listing} {args.incident}", file=sys.stderr)
        return 3
    print((status() or {}).get("summary", ""))
    return 0


def _print_sends(args: argparse.Namespace, listed: list[dict[str, Any]], id_key: str, none: str) -> int:
    """An incident's status updates or notices, one line each (or as JSON with ``--json``)."""
    if args.json:
        print(json.dumps(listed, indent=2, sort_keys=True))
        return 0
    if not listed:
        print(f"incident #{args.incident}: {none}")
    for item in listed:
        print(f"{item['requested_at']}  {item[id_key]}  by {item['by']}  {item['state']}: {item.get('summary') or ''}")
    return 0


def _cmd_update(args: argparse.Namespace) -> int:
    from jobs import customer_updates as updates
    from jobs.customer_comms import PolicyError, default_requester
    from middleware.config.customer_updates import MessageError

    try:
        message = read_message(args)
    except OSError as exc:
        print(f"incident update: cannot read the message: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        return _update_dry_run(args, message)
    try:
        config, redis, keys = _connect()
    except (ConfigError, ValueError) as exc:
        print(f"incident update: {exc}", file=sys.stderr)
        return 2
    try:
        request = updates.request_update(redis, keys, config, args.incident, message, args.by or default_requester(),
                                         now=_now(), update_id=args.update_id, allow_security=args.allow_security)
    except (updates.NoSuchIncident, PolicyError, MessageError, ValueError) as exc:
        print(f"incident update: refused: {exc}", file=sys.stderr)
        return 1
    return _outcome(args, f"status update {request.update_id}", request, "updates",
                    lambda: updates.update_status(redis, keys, args.incident, request.update_id))


def _update_dry_run(args: argparse.Namespace, message: str) -> int:
    """Who the update would reach now, and what sending it costs; nothing recorded or sent. The
    message and the policy are checked as a send would check them."""
    from jobs import customer_updates as updates
    from jobs import runtime
    from jobs.customer_comms import check_policy, default_requester
    from middleware.config.customer_updates import UPDATE_PLACEHOLDERS, check_message
    from middleware.zendesk.errors import ZendeskError

    try:
        rt = runtime.build()
        incident = rt.incidents.get(args.incident)
        if incident is None:
            raise updates.NoSuchIncident(f"no incident {args.incident}")
        check_policy(rt.config, incident, args.by or default_requester(), args.allow_security)
        check_message(message, UPDATE_PLACEHOLDERS)
        seen, cost = updates.plan_update(rt, args.incident)
    except (ConfigError, ZendeskError) as exc:
        print(f"incident update: {exc}", file=sys.stderr)
        return 2
    except (updates.NoSuchIncident, ValueError) as exc:  # PolicyError, RequesterError, MessageError
        print(f"incident update: refused: {exc}", file=sys.stderr)
        return 1
    told = [a for a in seen if a.reason is None]
    print(f"Status update for incident #{args.incident}: a public reply on {len(told)} of {len(seen)} linked "
          "ticket(s)")
    for a in seen:
        who = updates.addressee(a.user) or "its requester"
        print(f"  #{a.ticket_id} to {who}" if a.reason is None else f"  #{a.ticket_id}: not sent, {a.reason}")
    print(f"Sending costs {cost['writes']} write(s) and {cost['reads']} read(s)")
    print("dry run: nothing sent")
    return 0


def _cmd_updates(args: argparse.Namespace) -> int:
    from jobs import customer_updates as updates

    try:
        _, redis, keys = _connect()
    except (ConfigError, ValueError) as exc:
        print(f"incident updates: {exc}", file=sys.stderr)
        return 2
    return _print_sends(args, updates.updates_of(redis, keys, args.incident), "update_id", "no status updates")


def _org_ids(raw: str) -> list[int]:
    ids = [x.strip() for x in raw.split(",") if x.strip()]
    if not ids or not all(x.isdigit() for x in ids):
        raise ValueError("--orgs takes organisation ids separated by commas, e.g. --orgs 360001,360002")
    return [int(x) for x in ids]


def _cmd_notify(args: argparse.Namespace) -> int:
    from jobs import customer_notices as notices
    from jobs import runtime
    from jobs.customer_comms import PolicyError, default_requester
    from middleware.config.customer_updates import MessageError
    from middleware.zendesk.errors import ZendeskError

    try:
        message = read_message(args)
        org_ids = _org_ids(args.orgs) if args.orgs is not None else None
    except (OSError, ValueError) as exc:
        print(f"incident notify: {exc}", file=sys.stderr)
        return 2
    try:
        rt = runtime.build()
    except (ConfigError, ValueError, ZendeskError) as exc:
        print(f"incident notify: {exc}", file=sys.stderr)
        return 2
    try:
        plan = notices.plan_notice(rt, args.incident, org_ids=org_ids, org_tag=args.org_tag,
                                   all_customers=args.all_customers)
    except notices.PlanError as exc:
        print(f"incident notify: refused: {exc}", file=sys.stderr)
        return 1
    except ZendeskError as exc:
        print(f"incident notify: Zendesk could not be asked who to tell: {exc}", file=sys.stderr)
        return 1
    print("\n".join(plan.describe()))
    if args.dry_run:
        print("dry run: nothing sent")
        return 0
    try:
        request = notices.request_notice(rt, plan, message, args.by or default_requester(), subject=args.subject,
                                         notice_id=args.notice_id, allow_security=args.allow_security, yes=args.yes)
    except (notices.PlanError, PolicyError, MessageError, ValueError) as exc:
        print(f"incident notify: refused: {exc}", file=sys.stderr)
        return 1
    return _outcome(args, f"proactive notice {request.notice_id}", request, "notices",
                    lambda: notices.notice_status(rt, args.incident, request.notice_id))


def _cmd_notices(args: argparse.Namespace) -> int:
    from jobs import customer_notices as notices
    from jobs import runtime
    from middleware.zendesk.errors import ZendeskError

    try:
        rt = runtime.build()
    except (ConfigError, ValueError, ZendeskError) as exc:
        print(f"incident notices: {exc}", file=sys.stderr)
        return 2
    return _print_sends(args, notices.notices_of(rt, args.incident), "notice_id", "no proactive notices")


def add_parsers(sub: Any) -> None:
    """Add ``incident`` (``update``, ``updates``, ``notify``, ``notices``) to the CLI's subcommands."""
    p = sub.add_parser("incident", help="tell customers about an incident (status updates, proactive notices)")
    commands = p.add_subparsers(dest="incident_command", required=True)

    u = commands.add_parser("update", help="one public reply on every ticket linked to the incident")
    u.add_argument("incident", type=int, help="the incident id (its ticket number)")
    _message(u, "{ticket_id} {subject} {requester_name}")
    _common(u)
    u.add_argument("--dry-run", action="store_true", help="show which tickets would get it and what it costs")
    u.add_argument("--update-id", default=None,
                   help="name this update (default: derived from the message, so the same words are sent once)")
    u.set_defaults(func=_cmd_update)

    _listing(commands, "updates", "the incident's status updates and what happened to them", _cmd_updates)

    n = commands.add_parser("notify", help="a proactive ticket to the incident contacts of some or all customers")
    n.add_argument("incident", type=int, help="the incident id (its ticket number)")
    who = n.add_mutually_exclusive_group(required=True)
    who.add_argument("--orgs", help="organisation ids, comma-separated")
    who.add_argument("--org-tag", help="every organisation with this tag")
    who.add_argument("--all-customers", action="store_true", help="every organisation")
    _message(n, "{requester_name} {organization_name}")
    n.add_argument("--subject", default=None,
                   help="the notice tickets' subject (default: customer_updates.notice_subject)")
    n.add_argument("--dry-run", action="store_true", help="show who would be told and what it costs; send nothing")
    n.add_argument("--yes", action="store_true", help="confirm a notice to more than customer_updates.confirm_above "
                                                     "organisations")
    _common(n)
    n.add_argument("--notice-id", default=None,
                   help="name this notice (default: derived from the incident, the selection and the message)")
    n.set_defaults(func=_cmd_notify)

    _listing(commands, "notices", "the incident's proactive notices and who they reached", _cmd_notices)


def _listing(commands: Any, name: str, help_text: str, func: Any) -> None:
    """``incident updates|notices ID [--json]``: what was sent for an incident, and how it went."""
    s = commands.add_parser(name, help=help_text)
    s.add_argument("incident", type=int)
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=func)


def _message(p: argparse.ArgumentParser, placeholders: str) -> None:
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--message-file", help=f"file with the message ('-' for stdin); placeholders: {placeholders}")
    text.add_argument("--message", help="the message itself")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", default=None, help="who asks for this send (default: the operating-system user)")
    p.add_argument("--allow-security", action="store_true",
                   help="a security incident's customers may be told (refused without it)")
    p.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the worker (default 120)")
    p.add_argument("--no-wait", action="store_true", help="return once the job is queued")
