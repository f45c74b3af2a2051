"""``python -m middleware report`` and ``python -m middleware action``: the lifecycle's commands.

They run with the worker's environment (``REDIS_URL``, ``ZENDESK_*``, ``MIDDLEWARE_CONFIG``) and
do the same work the jobs do, on demand:

  report [--since 7d] [--json] [--send]      the lead-team report for the last period
  action add --incident ID --owner EMAIL [--due 2026-12-10] "what will be done"
  action list [--incident ID]                open actions, overdue ones marked

The commands import what they need inside their functions, so the command line starts fast
(none of these imports breaks a cycle).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from middleware.cli.arguments import add_period_command, since_or_none

__all__ = ["add_parsers"]


def _runtime() -> Any:
    from jobs import runtime

    return runtime.build()


def _cmd_report(args: argparse.Namespace) -> int:
    from jobs.alerts import notify as alerts
    from jobs.alerts.delivery import send
    from jobs.report.build import report_dict
    from jobs.report.delivery import REPORT_ROUTE, gather, rendered
    from middleware.config.alerting import redact

    period = since_or_none(args.since, "report")
    if period is None:
        return 2
    rt = _runtime()
    now = rt.clock()
    report = gather(rt, now, now - period)
    title, body = rendered(rt, report)
    if args.json:
        restricted = rt.config.alerting.alerts.restricted_categories
        print(json.dumps(report_dict(report, rt.zendesk.agent_link, restricted), indent=2, sort_keys=True))
    else:
        print(title)
        print()
        print(body)
    if args.send:
        alerting = rt.config.alerting
        destinations, silent = alerts.destinations_for(alerting, alerting.routes.get(REPORT_ROUTE, ()), {})
        for dest in destinations:
            ok, status = send(dest.url, title, body, "info", alerting.alerts.send_timeout_seconds)
            print(f"sent to {redact(dest.url)} ({', '.join(dest.roles)}): {'ok' if ok else status}", file=sys.stderr)
        if silent or not destinations:
            print(f"no destination for: {', '.join(silent) or 'the report route'}", file=sys.stderr)
    return 0


def _cmd_action_add(args: argparse.Namespace) -> int:
    from jobs.lifecycle.review import ActionError, add_action

    rt = _runtime()
    try:
        task, created = add_action(rt, args.incident, args.owner, " ".join(args.text), args.due)
    except ActionError as exc:
        print(f"action add: {exc}", file=sys.stderr)
        return 1
    verb = "created" if created else "exists already"
    due = task.due_at.strftime("%Y-%m-%d") if task.due_at else "no due date"
    print(f"action #{task.id} {verb}: due {due}, {rt.zendesk.agent_link(task.id)}")
    return 0


def _cmd_action_list(args: argparse.Namespace) -> int:
    from jobs.report.reminders import tracked_tasks

    rt = _runtime()
    now = rt.clock()
    actions = [t for t in tracked_tasks(rt) if t.kind == "action"
               and (args.incident is None or t.incident_id == args.incident)]
    if not actions:
        print("no open actions")
    for t in sorted(actions, key=lambda t: (t.due_at is None, t.due_at, t.ticket_id)):
        due = t.due_at.strftime("%Y-%m-%d") if t.due_at else "no due date"
        flag = "  OVERDUE" if t.is_overdue(now) else ""
        link = rt.zendesk.agent_link(t.ticket_id)
        print(f"#{t.ticket_id}  incident #{t.incident_id}  due {due}{flag}  {t.subject}  {link}")
    return 0


def add_parsers(sub: Any) -> None:
    """Add ``report`` and ``action`` to the CLI's subcommands."""
    p = add_period_command(sub, "report", "the lead-team report of critical incidents", _cmd_report, since="7d")
    p.add_argument("--send", action="store_true", help="also send it on the report route now")

    p = sub.add_parser("action", help="track actions from post-incident reviews")
    actions = p.add_subparsers(dest="action_command", required=True)
    a = actions.add_parser("add", help="create an action task in Zendesk")
    a.add_argument("--incident", type=int, required=True, help="the incident id (its ticket number)")
    a.add_argument("--owner", required=True, help="email of the Zendesk agent who owns the action")
    a.add_argument("--due", default=None, help="due date, e.g. 2026-12-10 (default: review.action_due_in)")
    a.add_argument("text", nargs="+", help="what will be done")
    a.set_defaults(func=_cmd_action_add)
    a = actions.add_parser("list", help="open actions, overdue ones marked")
    a.add_argument("--incident", type=int, default=None)
    a.set_defaults(func=_cmd_action_list)
