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

from middleware.local.localredis import with_db
from middleware.local.stack import ROOT

pytestmark = pytest.mark.e2e

REDIS_DB = 10
# RQ's own group-cleaning lock: shared by every RQ deployment, not ours to delete; it expires in 60 s.
RQ_SHARED_LOCKS = {b"rq:clean_groups"}


def test_demo_once_leaves_nothing_behind_in_a_shared_redis(redis_server_url: str, tmp_path) -> None:
    url = with_db(redis_server_url, REDIS_DB)
    redis = Redis.from_url(url)
    redis.flushdb()
    # Another deployment on the same database: its key, queue and scheduled job must survive.
    redis.set("cim:zendesk:api_user_id", "42")
    other = Queue("cim-sla", connection=redis)
    other.enqueue_in(timedelta(hours=1), "jobs.sla.clock.audit", job_id="sla-cim-1-0-step0")
    # A demo that is still running (its heartbeat is fresh): untouched.
    redis.set("cim-demo-a11ve0:demo:alive", "1", ex=300)
    redis.set("cim-demo-a11ve0:incident:1", "x")
    before = set(redis.keys("*"))
    # A demo killed with -9 an hour ago: its SLA timer and keys are swept by the next demo.
    dead = Queue("cim-demo-dead01-sla", connection=redis)
    dead.enqueue_in(timedelta(hours=1), "jobs.sla.clock.check", 1, 0, job_id="sla-cim-demo-dead01-1-0-step0")
    redis.set("cim-demo-dead01:incident:1", "x")

    env = {"PATH": "/usr/bin:/bin", "REDIS_URL": url, "HOME": str(ROOT), "PYTHONUNBUFFERED": "1"}
    env_file = tmp_path / ".demo.env"
    argv = [sys.executable, "-m", "middleware", "demo", "--once", "--any-port", "--env-file", str(env_file)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CRITICAL  tags: critical_incident" in done.stdout  # it did write incidents, queues, timers
    prefix = re.search(r"keys under '([\w-]+):'", done.stdout)
    assert prefix, done.stdout
    assert "were live only while it ran" in done.stdout and not env_file.exists()
    assert "left behind: cim-demo-dead01" in done.stdout

    left = set(redis.keys("*")) - RQ_SHARED_LOCKS
    assert left == before, f"the demo left {sorted(left - before)} and removed {sorted(before - left)}"
    assert not [k for k in redis.keys("*") if prefix.group(1).encode() in k]
    assert all(redis.ttl(k) <= 60 and redis.ttl(k) != -1 for k in RQ_SHARED_LOCKS)  # expiring, or expired already
    shared_sets = redis.smembers("rq:queues") | redis.smembers("rq:workers")
    assert not [m for m in shared_sets if prefix.group(1).encode() in m]
    assert other.scheduled_job_registry.get_job_ids() == ["sla-cim-1-0-step0"]
    assert not [k for k in redis.keys("*") if b"dead01" in k]
    assert not [m for m in redis.smembers("rq:queues") if b"dead01" in m]
    redis.flushdb()


def test_the_cli_works_against_a_running_demo_through_its_env_file(redis_server_url: str, tmp_path) -> None:
    """What the demo prints to do in another terminal: source its env file, run the CLI. Then
    the demo is stopped as ``kill`` would (SIGTERM): the file and its Redis data are gone."""
    url = with_db(redis_server_url, REDIS_DB)
    redis = Redis.from_url(url)
    redis.flushdb()
    env_file = tmp_path / ".demo.env"
    env = {"PATH": "/usr/bin:/bin", "REDIS_URL": url, "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen([sys.executable, "-m", "middleware", "demo", "--keep", "300", "--any-port",
                             "--env-file", str(env_file)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out: list[str] = []
    try:
        assert demo.stdout is not None
        for line in demo.stdout:  # until the demo says it is up (or exits)
            out.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        printed = "".join(out)
        assert env_file.exists(), printed
        assert f"set -a; . {env_file}; set +a" in printed
        source = f"set -a; . {env_file}; set +a; {sys.executable} -m middleware "
        shell_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # nothing but what the file says

        def cli(args: str) -> str:
            done = subprocess.run(["bash", "-c", source + args], cwd=ROOT, env=shell_env, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stdout, done.stderr)
            return done.stdout

        assert "5 new" in cli("report --since 1d")  # the demo's five critical tickets
        assert "no open actions" in cli("action list")
        assert cli("reconcile --since 1h").startswith("reconcile: ")
        assert "NOT critical" in cli("explain tests/samples/ticket.created.json")
        env_check = cli("check-config --env")
        assert "ok       ZENDESK_WEBHOOK_SECRET" in env_check and "ok       REDIS_URL" in env_check
        prefix = re.search(r"keys under '([\w-]+):'", printed)
        assert prefix and redis.keys(f"{prefix.group(1)}:*")
    finally:
        demo.terminate()
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "Stopped:" in rest
    assert not env_file.exists()
    assert set(redis.keys("*")) <= RQ_SHARED_LOCKS
    redis.flushdb()
