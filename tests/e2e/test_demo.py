"""``python -m middleware demo --once`` as a newcomer runs it, on a Redis that others share: it
shows its result, and afterwards that Redis holds nothing of it (no queue, no scheduled SLA
timer, no job, no key), while another deployment's data on the same database is untouched."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue

from middleware.localredis import with_db
from middleware.stack import ROOT

pytestmark = pytest.mark.e2e

REDIS_DB = 10
# RQ's own group-cleaning lock: shared by every RQ deployment, not ours to delete; it expires in 60 s.
RQ_SHARED_LOCKS = {b"rq:clean_groups"}


def test_demo_once_leaves_nothing_behind_in_a_shared_redis(redis_server_url: str) -> None:
    url = with_db(redis_server_url, REDIS_DB)
    redis = Redis.from_url(url)
    redis.flushdb()
    # Another deployment on the same database: its key, queue and scheduled job must survive.
    redis.set("cim:zendesk:api_user_id", "42")
    other = Queue("cim-sla", connection=redis)
    other.enqueue_in(timedelta(hours=1), "jobs.sla.audit", job_id="sla-cim-1-0-step0")
    before = set(redis.keys("*"))

    env = {"PATH": "/usr/bin:/bin", "REDIS_URL": url, "HOME": str(ROOT), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([sys.executable, "-m", "middleware", "demo", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CRITICAL  tags: critical_incident" in done.stdout  # it did write incidents, queues, timers
    prefix = re.search(r"keys under '([\w-]+):'", done.stdout)
    assert prefix, done.stdout

    left = set(redis.keys("*")) - RQ_SHARED_LOCKS
    assert left == before, f"the demo left {sorted(left - before)} and removed {sorted(before - left)}"
    assert not [k for k in redis.keys("*") if prefix.group(1).encode() in k]
    assert all(0 < redis.ttl(k) <= 60 for k in RQ_SHARED_LOCKS & set(redis.keys("*")))
    shared_sets = redis.smembers("rq:queues") | redis.smembers("rq:workers")
    assert not [m for m in shared_sets if prefix.group(1).encode() in m]
    assert other.scheduled_job_registry.get_job_ids() == ["sla-cim-1-0-step0"]
    redis.flushdb()
