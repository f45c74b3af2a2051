"""What the end-to-end and budget benchmarks share: tickets from the labelled corpus, the
product's config with another Zendesk budget, and RQ bookkeeping read straight from Redis
(job timestamps, idle queues, jobs put off by the rate limit).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis import Redis

from middleware.config import load_config
from middleware.local.simulator import SimulatorControl
from middleware.local.stack import ROOT
from middleware.store import queues
from middleware.store.connection import Keys

KEYS = Keys("cim")  # the shipped config.yaml's redis.prefix: queue and job names of the stack under test
EVENTS_QUEUE = KEYS.queue(queues.EVENTS_STAGE)

TICKET_WRITE = re.compile(r"^/api/v2/tickets/(\d+)(\.json)?$")
RESCHEDULED = re.compile(rb"-rl\d+$")


# ---------------------------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------------------------
def corpus_plan(count: int, critical_share: float, seed: int = 7, *, flagged: bool = False) -> list[dict[str, Any]]:
    """``count`` ticket specs from the labelled corpus, every 1/critical_share-th one critical.
    With ``flagged``, the critical ones are those the shipped rules flag (not those a person
    labelled critical, some of which the rules only put to a person): a benchmark of what flags
    cost then gets exactly the flags it asks for, whatever the rules' recall."""
    import yaml

    from tests.rules.corpus import CORPUS_PATH, _ticket, load_default_ruleset

    items = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))["tickets"]
    if flagged:
        rules = load_default_ruleset()
        # As create_ticket makes it: no later comment, no organisation.
        seen = [{k: v for k, v in i.items() if k not in ("comment", "organization")} for i in items]
        critical = [i for i, t in zip(items, seen, strict=True)
                    if i.get("critical") and rules.evaluate(_ticket(t)).critical]
    else:
        critical = [i for i in items if i.get("critical")]
    normal = [i for i in items if not i.get("critical")]
    rng = random.Random(seed)
    rng.shuffle(critical)
    rng.shuffle(normal)
    every = max(1, round(1 / critical_share)) if critical_share > 0 else 0
    plan = []
    for n in range(count):
        item = critical[n // every % len(critical)] if every and n % every == every - 1 else normal[n % len(normal)]
        plan.append(item)
    return plan


def seed_requesters(sim: SimulatorControl, plan: list[dict[str, Any]]) -> None:
    """The corpus requesters as simulator users with their roles (staff reports need agents)."""
    seen: set[str] = set()
    for item in plan:
        requester = item.get("requester") or {}
        email = requester.get("email")
        if email and email not in seen:
            seen.add(email)
            sim.create_user(email.split("@")[0], email, role=requester.get("role") or "end-user")


def create_ticket(sim: SimulatorControl, item: dict[str, Any], n: int) -> tuple[int, float, bool]:
    """One customer ticket; (ticket id, epoch just before it was created, labelled critical)."""
    requester = item.get("requester") or {}
    email = requester.get("email") or f"customer{n}@bench.example"
    via = {"email": "email", "web": "web", "api": "api"}.get(item.get("via") or "web", "web")
    body = item.get("description") or item.get("subject") or "(empty)"
    extra: dict[str, Any] = {}
    if item.get("priority"):
        extra["priority"] = item["priority"]
    if item.get("type"):
        extra["type"] = item["type"]
    began = time.time()
    ticket = sim.customer_ticket(item.get("subject") or "", body, email, tags=list(item.get("tags") or []),
                                 via_channel=via, **extra)
    return int(ticket["id"]), began, bool(item.get("critical"))


# ---------------------------------------------------------------------------------------------
# RQ measurements
# ---------------------------------------------------------------------------------------------
def _parse_rq_time(raw: bytes | None) -> float | None:
    if not raw:
        return None
    text = raw.decode()
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def job_statuses(r: Redis, job_ids: list[str]) -> Counter[str]:
    """Each job's status from its hash; ``deleted`` for a job that is gone (a finished event job
    is deleted at once: the worker keeps no result)."""
    pipe = r.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hget(f"rq:job:{job_id}", "status")
    return Counter((status or b"deleted").decode() for status in pipe.execute())


def wait_jobs_done(r: Redis, job_ids: list[str], timeout: float, queue: str = EVENTS_QUEUE,
                   poll: float = 0.01) -> dict[str, Any]:
    """Wait until these jobs (all queued on ``queue`` before any worker takes one) have run;
    when the first started and the last ended, and the rate.

    A finished event job leaves no hash to read its timestamps from, so the times come from
    polling two cheap counts every ``poll`` seconds: the first job started when the queue first
    got shorter or a job was in progress; the last ended when both are empty and every job is
    finished, failed or gone (the jobs' hashes are read only then: reading thousands of them
    several times a second would load the Redis being measured).
    """
    total = len(job_ids)
    deadline = time.monotonic() + timeout
    first_start: float | None = None
    while True:
        pipe = r.pipeline(transaction=False)
        pipe.llen(f"rq:queue:{queue}")
        pipe.zcard(f"rq:wip:{queue}")
        queued, running = pipe.execute()
        now = time.time()
        if first_start is None and (queued < total or running):
            first_start = now
        if first_start is not None and not queued and not running:
            # A job just taken off the queue is in neither count until its worker registers it
            # as started: only the jobs' own states say they have all run.
            statuses = job_statuses(r, job_ids)
            if all(k in ("finished", "failed", "deleted") for k in statuses):
                last_end = now
                break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{total} jobs to finish: {queued} queued, {running} running after {timeout:.0f} s")
        time.sleep(poll)
    span = last_end - first_start
    return {"jobs": total, "span_s": round(span, 3), "jobs_per_s": round(total / span, 1) if span else None,
            "statuses": dict(statuses), "first_start": first_start, "last_end": last_end,
            "timed_by": f"polling the queue and its jobs in progress every {poll * 1000:.0f} ms"}


def all_idle(r: Redis) -> bool:
    """No queued job and no job running, on every queue the product uses."""
    pipe = r.pipeline(transaction=False)
    for name in KEYS.queues():
        pipe.llen(f"rq:queue:{name}")
        pipe.zcard(f"rq:wip:{name}")
    return not any(pipe.execute())


def redis_commands(r: Redis) -> dict[str, int]:
    """Calls per Redis command so far (``INFO commandstats``): a delta over a phase says how
    many Redis commands each job cost, which the machine's load does not change."""
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in r.info("commandstats").items()}


def commands_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return dict(sorted(((k, v) for k, v in delta.items() if v > 0), key=lambda kv: -kv[1]))


def worker_args(k: int) -> tuple[str, ...]:
    return ("--processes", str(k)) if k > 1 else ()


# ---------------------------------------------------------------------------------------------
# Zendesk calls and config
# ---------------------------------------------------------------------------------------------
def classify_reads(entries: list[dict[str, Any]]) -> dict[str, int]:
    kinds: Counter[str] = Counter()
    for e in entries:
        if e["method"] != "GET":
            continue
        path = e["path"]
        if path.startswith("/api/v2/users/me"):
            kinds["users/me"] += 1
        elif path.startswith("/api/v2/users/"):
            kinds["users/{id}"] += 1
        elif path.startswith("/api/v2/organizations/"):
            kinds["organizations/{id}"] += 1
        elif "/comments" in path:
            kinds["tickets/{id}/comments"] += 1
        elif TICKET_WRITE.match(path):
            kinds["tickets/{id}"] += 1
        else:
            kinds[path] += 1
    return dict(kinds)


def api_user_id(entries: list[dict[str, Any]]) -> int | None:
    users = Counter(e.get("user_id") for e in entries if e.get("user_id") is not None)
    return users.most_common(1)[0][0] if users else None


def budget_config(directory: Path, per_minute: int, name: str = "config-budget.yaml",
                  sections: dict[str, dict[str, Any]] | None = None, **zendesk: Any) -> Path:
    """config.yaml with ``zendesk.requests_per_minute`` (and any other ``zendesk`` keys, e.g.
    ``ticket_updates_per_minute``) replaced, and whole ``sections`` merged in; checked by loading it."""
    import yaml

    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw.setdefault("zendesk", {})
    raw["zendesk"].update({"requests_per_minute": per_minute, **zendesk})
    for section, values in (sections or {}).items():
        raw[section] = {**(raw.get(section) or {}), **values}
    path = directory / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    loaded = load_config(path).zendesk
    for key, value in {"requests_per_minute": per_minute, **zendesk}.items():
        if getattr(loaded, key) != value:
            raise RuntimeError(f"budget config says zendesk.{key} = {getattr(loaded, key)}, expected {value}")
    return path


def pending_reschedules(r: Redis) -> int:
    pending = 0
    for name in KEYS.queues():
        pending += sum(1 for m in r.zrange(f"rq:scheduled:{name}", 0, -1) if RESCHEDULED.search(m))
    return pending


class RescheduleWatch(threading.Thread):
    """Every job put off by a 429, the budget or an open breaker (``…-rlN`` ids), seen in RQ's
    scheduled registries twice a second. A put-off job waits there at least a second, and a
    finished event job leaves no hash behind to count afterwards."""

    def __init__(self, r: Redis) -> None:
        super().__init__(name="reschedule-watch", daemon=True)
        self.r = r
        self.seen: set[bytes] = set()
        self.stop = threading.Event()

    def sample(self) -> None:
        pipe = self.r.pipeline(transaction=False)
        for name in KEYS.queues():
            pipe.zrange(f"rq:scheduled:{name}", 0, -1)
        for members in pipe.execute():
            self.seen.update(m for m in members if RESCHEDULED.search(m))

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                self.sample()
            except Exception:  # a missed sample: the next one sees what is still waiting
                continue


def reschedules(r: Redis, watch: RescheduleWatch | None = None) -> dict[str, int]:
    """Jobs put off by a 429 or the budget (``…-rlN`` ids): how many, and the most times one
    was; from the watch's samples and the job hashes still in Redis."""
    ids = {key.removeprefix(b"rq:job:") for key in r.scan_iter(match="rq:job:*-rl*", count=1000)}
    if watch is not None:
        watch.sample()
        ids |= watch.seen
    attempts: dict[bytes, int] = {}
    for job_id in ids:
        base, _, n = job_id.rpartition(b"-rl")
        if n.isdigit():
            attempts[base] = max(attempts.get(base, 0), int(n))
    return {"rescheduled_jobs": len(attempts), "max_reschedules_of_one_job": max(attempts.values(), default=0)}


