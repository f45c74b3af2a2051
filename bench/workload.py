"""What the end-to-end and budget benchmarks share: tickets from the labelled corpus, the
product's config with another Zendesk budget, and RQ bookkeeping read straight from Redis
(job timestamps, idle queues, jobs put off by the rate limit).
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis import Redis

from bench.common import wait_for
from middleware.config import load_config
from middleware.simulator import SimulatorControl
from middleware.stack import ROOT
from middleware.store import queues
from middleware.store.connection import Keys

KEYS = Keys("cim")  # the shipped config.yaml's redis.prefix: queue and job names of the stack under test
EVENTS_QUEUE = KEYS.queue(queues.EVENTS_STAGE)

TICKET_WRITE = re.compile(r"^/api/v2/tickets/(\d+)(\.json)?$")
RESCHEDULED = re.compile(rb"-rl\d+$")


# ---------------------------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------------------------
def corpus_plan(count: int, critical_share: float, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` ticket specs from the labelled corpus, every 1/critical_share-th one critical."""
    import yaml

    from tests.rules.corpus import CORPUS_PATH

    items = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))["tickets"]
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


def job_times(r: Redis, job_ids: list[str]) -> list[tuple[str, float | None, float | None]]:
    pipe = r.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hmget(f"rq:job:{job_id}", "status", "started_at", "ended_at")
    out = []
    for status, started, ended in pipe.execute():
        out.append(((status or b"").decode(), _parse_rq_time(started), _parse_rq_time(ended)))
    return out


def wait_jobs_done(r: Redis, job_ids: list[str], timeout: float,
                   queue: str = EVENTS_QUEUE) -> list[tuple[str, float | None, float | None]]:
    """Wait until these jobs (all on ``queue``) have finished or failed.

    Polled with two cheap commands (queue length, jobs in progress) until the queue is empty,
    then the job hashes are read once: reading 2,000 hashes several times a second would load
    the Redis being measured.
    """

    def drained() -> bool:
        pipe = r.pipeline(transaction=False)
        pipe.llen(f"rq:queue:{queue}")
        pipe.zcard(f"rq:wip:{queue}")
        return not any(pipe.execute())

    def done() -> list[tuple[str, float | None, float | None]] | None:
        if not drained():
            return None
        times = job_times(r, job_ids)
        return times if all(s in ("finished", "failed") for s, _, _ in times) else None

    return wait_for(done, timeout, interval=0.1, what=f"{len(job_ids)} jobs to finish")  # type: ignore[no-any-return]


def all_idle(r: Redis) -> bool:
    """No queued job and no job running, on every queue the product uses."""
    pipe = r.pipeline(transaction=False)
    for name in KEYS.queues():
        pipe.llen(f"rq:queue:{name}")
        pipe.zcard(f"rq:wip:{name}")
    return not any(pipe.execute())


def rate_of(times: list[tuple[str, float | None, float | None]]) -> dict[str, Any]:
    starts = [s for _, s, _ in times if s is not None]
    ends = [e for _, _, e in times if e is not None]
    span = max(ends) - min(starts) if starts and ends else float("nan")
    statuses = Counter(s for s, _, _ in times)
    return {"jobs": len(times), "span_s": round(span, 3), "jobs_per_s": round(len(times) / span, 1) if span else None,
            "statuses": dict(statuses), "first_start": min(starts) if starts else None,
            "last_end": max(ends) if ends else None}


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


def reschedules(r: Redis) -> dict[str, int]:
    """Jobs put off by a 429 or the budget (``…-rlN`` ids): how many, and the most times one was."""
    attempts = [int(key.rsplit(b"-rl", 1)[1]) for key in r.scan_iter(match="rq:job:*-rl*", count=1000)
                if key.rsplit(b"-rl", 1)[1].isdigit()]
    return {"rescheduled_jobs": len(attempts), "max_reschedules_of_one_job": max(attempts, default=0)}


