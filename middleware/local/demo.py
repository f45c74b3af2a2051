"""``python -m middleware demo``: the whole product on one machine, shown to a newcomer.

It starts Redis (the one on ``REDIS_URL`` if it answers, else a private one), the local Zendesk
simulator, the web app under gunicorn and a worker with the scheduler; customers then open a
few sample tickets in the simulator, Zendesk-style webhooks flow to the receiver, and the demo
prints which tickets were flagged critical and why, and where to look next. Ctrl-C stops every
process it started.

Each run uses its own Redis key prefix (removed again on exit), so a demo never sees the
incidents of an earlier one and never touches data of the real service on the same Redis.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import yaml
from redis import Redis

from middleware.config.schema import load_yaml
from middleware.local.localredis import answers
from middleware.local.simulator.control import SimulatorControl
from middleware.local.stack import ROOT, Stack, running_stack
from middleware.store import queues
from middleware.store.connection import DEFAULT_REDIS_URL, Keys, redact_url

SAMPLES: list[dict[str, Any]] = [
    {
        "subject": "URGENT - platform down, none of our users can log in",
        "description": "Since 09:10 every login attempt fails with a 502 and our whole support team is blocked. "
                       "This is affecting all of our users.",
        "requester_email": "ops@northwind.example", "org": "Northwind Traders",
    },
    {
        "subject": "Possible data breach: customer records visible to another account",
        "description": "One of our admins could see another company's customer list. We think data leaked.",
        "requester_email": "security@contoso.example", "org": "Contoso",
    },
    {
        "subject": "How do I export invoices to CSV?",
        "description": "Hi, could you tell me where the export button is? Thanks!",
        "requester_email": "finance@northwind.example", "org": "Northwind Traders",
    },
    {
        "subject": "Not urgent: typo on the pricing page",
        "description": "The word 'monthly' is misspelled on the pricing page. No rush at all.",
        "requester_email": "marketing@contoso.example", "org": "Contoso",
    },
    {   # critical, though it never says "outage", "down" or "urgent"
        "subject": "Small thing re labels after this morning's release",
        "description": "Hi team, since your release this morning every shipping label we print comes out blank. "
                       "We have 14 trucks at the dock for today's collection. Thanks, Priya",
        "requester_email": "priya@tailspin.example", "org": "Tailspin Logistics",
    },
    {   # critical, in German
        "subject": "Bestellungen kommen nicht im Lager an",
        "description": "Guten Tag, seit heute früh kommen keine Bestellungen mehr im Lager an. Alle Fahrer warten, "
                       "bitte dringend prüfen.",
        "requester_email": "lager@adventure-works.example", "org": "Adventure Works",
    },
    {   # the rules are unsure: tagged possible_critical_incident and put to the Head of Support
        "subject": "Carrier bookings stuck?",
        "description": "A couple of this afternoon's carrier bookings are still showing 'pending' and the "
                       "booking screen timed out twice. Could someone have a look please?",
        "requester_email": "dispatch@fabrikam.example", "org": "Fabrikam",
    },
    {
        "subject": "Orders not flowing to our warehouse since this morning",
        "description": "No orders have synced since 8am, nothing is being shipped. Every request to the orders "
                       "API returns an error.",
        "requester_email": "it@fabrikam.example", "org": "Fabrikam",
    },
]


def _port_free(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _demo_config(prefix: str) -> Path:
    """config.yaml with this run's key prefix."""
    data = load_yaml((ROOT / "config.yaml").read_text(encoding="utf-8")) or {}
    data.setdefault("redis", {})["prefix"] = prefix
    fd, path = tempfile.mkstemp(prefix="cim-demo-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, sort_keys=False)
    return Path(path)


def _wait_until_decided(sim: SimulatorControl, redis_url: str, keys: Keys, timeout: float = 20.0) -> None:
    """Wait until every webhook was delivered and the worker has drained the events queue."""
    from rq.registry import StartedJobRegistry

    redis = Redis.from_url(redis_url)
    queue = queues.queue(queues.EVENTS_STAGE, redis, keys)
    started = StartedJobRegistry(queue=queue)
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 3:
        busy = sim.deliveries(state="pending").get("pending", 0) or queue.count or started.count
        quiet = 0 if busy else quiet + 1
        time.sleep(0.25)


def _why(comments: list[dict[str, Any]]) -> str:
    """The rules' reasons from our internal note: the score and its strongest signals, or the
    matched rules, in one line a person reads at a glance."""
    for c in comments:
        body = c.get("body") or ""
        if c.get("public") or "critical" not in body.lower():
            continue
        lines = [line.strip() for line in body.splitlines()]
        score = next((line for line in lines if line.startswith("Score ")), "")
        positive = [line[2:] for line in lines if line.startswith("- ") and "(+" in line]
        signals = sorted(positive, key=lambda line: -float(line.split("(+", 1)[1].split(")", 1)[0]))[:3]
        if score and signals:
            return textwrap.shorten(f"{score.split(' (')[0].lower()}: " + "; ".join(signals), 200)
        return textwrap.shorten(" ".join(body.split("\n\n", 1)[-1].split()), 160)
    return ""


def _show(sim: SimulatorControl, ids: list[int]) -> None:
    print("\nWhat the middleware did with them:")
    for tid in ids:
        data = sim.get_ticket(tid)
        t = data["ticket"]
        tags = [x for x in t["tags"] if x.startswith("critical")]
        if "critical_incident" in t["tags"]:
            print(f"  #{tid} {t['subject'][:60]!r}")
            print(f"       CRITICAL  tags: {', '.join(tags)}; priority: {t['priority']}")
            why = _why(data.get("comments") or [])
            if why:
                print(f"       why: {why}")
        elif "possible_critical_incident" in t["tags"]:
            print(f"  #{tid} {t['subject'][:60]!r}")
            print("       POSSIBLY CRITICAL  tag: possible_critical_incident; the Head of Support is asked to confirm "
                  "(add critical_incident) or dismiss (add not_critical)")
            why = _why(data.get("comments") or [])
            if why:
                print(f"       why: {why}")
        else:
            print(f"  #{tid} {t['subject'][:60]!r}\n       not critical: left untouched")


def _banner(stack: Stack, prefix: str) -> None:
    print(textwrap.dedent(f"""
        Critical-incident middleware: local demo
          Redis              {redact_url(stack.redis_url)}  (keys under '{prefix}:')
          Zendesk simulator  {stack.simulator_url}  (stands in for yourco.zendesk.com)
          Webhook receiver   {stack.webhook_url}
          Worker             1 RQ worker with the scheduler
        Customers are opening {len(SAMPLES)} tickets in the simulator...""").rstrip())


def _python() -> str:
    """How to call this Python from the checkout: ``.venv/bin/python`` when that is the one running."""
    exe = Path(sys.executable)
    with contextlib.suppress(ValueError):
        return str(exe.relative_to(ROOT)) if exe.is_relative_to(ROOT) else str(exe)
    return str(exe)


def _where_to_look(stack: Stack, env_file: Path) -> None:
    py = _python()
    here = "" if Path.cwd().resolve() == ROOT else f"cd {ROOT} && "
    print(textwrap.dedent(f"""
        Where to look:
          a ticket as Zendesk holds it (tags, notes):  curl {stack.simulator_url}/_sim/tickets/1
          the incident room (any user name):           {stack.web_url}/dashboard  (password: demo)
          incident #1, its whole timeline:             {stack.web_url}/dashboard/incidents/1
          the same as JSON:          curl -H 'Authorization: Bearer demo' {stack.web_url}/api/incidents/1
          the receiver's readiness, metrics:           curl {stack.web_url}/readyz ; curl {stack.web_url}/metrics
          what the middleware asked of Zendesk:        curl {stack.simulator_url}/_sim/requests
          open your own ticket:
            curl -X POST {stack.simulator_url}/_sim/customer_ticket -H 'Content-Type: application/json' \\
              -d '{{"subject": "Ransomware on our file server", "description": "files encrypted",
                   "requester": {{"email": "you@example.com"}}}}'

        The command line against this demo (another terminal; {env_file.name} holds the demo's Redis,
        config and simulator, and goes away when the demo stops):
          {here}set -a; . {_shown(env_file)}; set +a
          {py} -m middleware report --since 1d            # the lead-team report of these incidents
          {py} -m middleware action list                  # post-incident review actions
          {py} -m middleware reconcile --since 1h         # catch up on missed webhooks
          curl -s {stack.simulator_url}/_sim/tickets/1 > /tmp/ticket-1.json   # why ticket #1 is critical:
          {py} -m middleware explain /tmp/ticket-1.json"""))


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return "./" + str(path.resolve().relative_to(ROOT))
    return shlex.quote(str(path))


ENV_NAMES = ("REDIS_URL", "MIDDLEWARE_CONFIG", "ZENDESK_API_URL", "ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL",
             "ZENDESK_API_TOKEN", "ZENDESK_WEBHOOK_SECRET", "ADMIN_TOKEN")


def write_env_file(path: Path, env: dict[str, str], web_url: str) -> str:
    """The environment the demo's processes run with, as ``NAME=value`` lines a shell can source
    (``set -a; . ./.demo.env; set +a``) so the CLI talks to the demo. Returns what was written,
    so the demo removes the file on exit only if it is still its own (two demos at once)."""
    lines = [f"# Written by `python -m middleware demo` (pid {os.getpid()}) for the demo running now;",
             f"# removed when it stops. Web app: {web_url}. Use: set -a; . ./{path.name}; set +a"]
    lines += [f"{name}={shlex.quote(env[name])}" for name in ENV_NAMES if env.get(name)]
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def _remove_env_file(path: Path, written: str) -> None:
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == written:
            path.unlink()


def _stop_on_sigterm() -> None:
    """``kill <pid>`` stops the demo like Ctrl-C does: processes stopped, keys removed."""

    def interrupt(signum: int, frame: object) -> None:
        # Once stopping has begun, a repeated signal (a supervisor or a terminal that sends
        # SIGTERM twice, Ctrl-C pressed again) must not cut the cleanup short and leave the web
        # app or the worker running: later ones are ignored until the demo has stopped.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (a test calling run_demo)
        signal.signal(signal.SIGTERM, interrupt)
        signal.signal(signal.SIGINT, interrupt)


def run_demo(*, once: bool = False, keep_seconds: float | None = None, env_file: Path | None = None,
             any_port: bool = False) -> int:
    _stop_on_sigterm()
    env_file = env_file or ROOT / ".demo.env"
    written = ""
    prefix = f"cim-demo-{uuid.uuid4().hex[:6]}"
    keys = Keys(prefix)
    config_path = _demo_config(prefix)
    redis_url = ""
    shared = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    alive = Heartbeat(shared, keys) if answers(shared) else None  # before anything of ours is written
    # The familiar ports when free (a newcomer's curl lines stay the same); any free one on request
    # (tests, several demos at once: a port seen free may be taken by another process a moment later).
    sim_port = 8765 if not any_port and _port_free(8765) else None
    web_port = 8000 if not any_port and _port_free(8000) else None
    log_dir = Path(tempfile.mkdtemp(prefix="cim-demo-logs-"))
    try:
        with running_stack(config_path=str(config_path), sim_port=sim_port, web_port=web_port,
                           log_dir=log_dir, extra_env={"ADMIN_TOKEN": "demo"}) as stack:
            redis_url = "" if stack.private_redis else stack.redis_url  # a private Redis goes with the stack
            _banner(stack, prefix)
            if redis_url:
                for gone, count in sweep_abandoned(redis_url, keys).items():
                    print(f"  (removed what an earlier demo killed without cleaning up left behind: {gone}, "
                          f"{count} keys)")
            sim = SimulatorControl(stack.simulator_url)
            orgs: dict[str, int] = {}
            ids = []
            for sample in SAMPLES:
                org = sample["org"]
                if org not in orgs:
                    orgs[org] = int(sim.create_organization(org)["id"])
                ticket = sim.customer_ticket(sample["subject"], sample["description"], sample["requester_email"],
                                             organization_id=orgs[org])
                ids.append(int(ticket["id"]))
            _wait_until_decided(sim, stack.redis_url, keys)
            written = write_env_file(env_file, stack.env, stack.web_url)
            _show(sim, ids)
            _where_to_look(stack, env_file)
            print(f"\nLogs of every process: {log_dir}")
            if once:
                print("\n--once: the demo stops now, so the URLs and commands above were live only while it ran.\n"
                      "Run `make demo` (without --once) to keep it up and try them.")
                return 0
            print("Press Ctrl-C to stop; everything started here will be stopped.", flush=True)
            deadline = None if keep_seconds is None else time.monotonic() + keep_seconds
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.5)
            return 0
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    except (requests.RequestException, RuntimeError) as exc:  # a process that did not start or stopped answering
        print(f"demo: {exc}; the logs of every process are in {log_dir}", file=sys.stderr)
        return 1
    finally:
        if alive is not None:
            alive.stop()
        if written:
            _remove_env_file(env_file, written)
        removed = cleanup(redis_url, keys) if redis_url else 0  # after every process stopped: nothing writes now
        config_path.unlink(missing_ok=True)
        print("Stopped: simulator, web app, worker (and the private Redis, if one was started).")
        if redis_url:
            print(f"Removed this demo's {removed} keys ('{prefix}' queues, jobs, timers and data) "
                  f"from {redact_url(redis_url)}.")


class Heartbeat:
    """``<prefix>:demo:alive`` (expires in 30 s, renewed every 10 s) while this demo runs, so a
    later demo can tell an abandoned demo's leftovers (``kill -9``, a crash) from a live one's."""

    TTL_SECONDS = 30

    def __init__(self, redis_url: str, keys: Keys) -> None:
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
        self.key = keys("demo", "alive")
        self._stop = threading.Event()
        self._beat()
        self._thread = threading.Thread(target=self._run, name="demo-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        with contextlib.suppress(Exception):
            self.redis.set(self.key, os.getpid(), ex=self.TTL_SECONDS)

    def _run(self) -> None:
        while not self._stop.wait(self.TTL_SECONDS / 3):
            self._beat()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.redis.delete(self.key)


_DEMO_PREFIX = re.compile(rb"(?:rq:queue:)?(cim-demo-[0-9a-f]{6})[-:]")


def sweep_abandoned(redis_url: str, own: Keys) -> dict[str, int]:
    """Remove what demos that died without cleaning up left on this Redis (their queues, scheduled
    SLA timers, jobs and keys); a demo whose heartbeat is alive is left alone. Returns
    {prefix: keys removed}."""
    found: set[str] = set()
    with contextlib.suppress(Exception):
        r = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=5)
        for name in (*r.smembers("rq:queues"), *r.scan_iter("cim-demo-*", count=1000)):
            match = _DEMO_PREFIX.match(name)
            if match:
                found.add(match.group(1).decode())
        found.discard(own.prefix)
        gone = [p for p in sorted(found) if not r.exists(Keys(p)("demo", "alive"))]
        return {p: cleanup(redis_url, Keys(p)) for p in gone}
    return {}


def cleanup(redis_url: str, keys: Keys) -> int:
    """Remove everything this run wrote to a shared Redis; returns how many keys went.

    Our keys are ``<prefix>:…``; RQ's carry the prefix in the queue name, job id or worker name
    (:class:`Keys`): its queues, registries, scheduled timers, jobs, results and workers. The
    two sets RQ shares between deployments (``rq:queues``, ``rq:workers``) lose only our
    members. The demo's prefix is unique per run, so nothing of anyone else matches.
    """
    removed = 0
    with contextlib.suppress(Exception):
        r = Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=5)
        mine = {keys.prefix, keys.job_prefix}
        for pattern in (f"{keys.prefix}:*", *(f"rq:*{p}*" for p in mine)):
            batch = list(r.scan_iter(pattern, count=1000))
            removed += r.delete(*batch) if batch else 0
        for shared in ("rq:queues", "rq:workers"):
            ours = [m for m in r.smembers(shared) if any(p.encode() in m for p in mine)]
            if ours:
                r.srem(shared, *ours)
    return removed
