"""``python -m middleware incident …``: what an operator sees, and the exit status scripts rely on.

The worker's part is run in this process (``Env.drain``) so the command's wait sees it finish.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from jobs import pipeline
from middleware.cli.main import main
from middleware.local.simulator import SimulatorServer
from tests.lifecycle_support import API_EMAIL, OUTAGE, Env, make_env, write_config


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    with SimulatorServer() as s:
        yield s


@pytest.fixture
def env(server, redis, redis_url, tmp_path, key_prefix, monkeypatch) -> Iterator[Env]:
    config = write_config(tmp_path, key_prefix)
    for name, value in {"REDIS_URL": redis_url, "ZENDESK_API_URL": server.url, "ZENDESK_EMAIL": API_EMAIL,
                        "ZENDESK_API_TOKEN": "tok", "MIDDLEWARE_CONFIG": str(config)}.items():
        monkeypatch.setenv(name, value)
    yield from make_env(server, redis, tmp_path, key_prefix)


def declared(env: Env) -> int:

    tid = int(env.sim.customer_ticket(*OUTAGE, "ops@acme.test", requester_name="Olga Ops")["id"])
    assert pipeline.process(env.rt, env.event(tid, "created", actor_id=None)).startswith("flagged critical")
    env.drain()
    return tid


def run_with_worker(env: Env, argv: list[str]) -> int:
    """The command, with a 'worker' draining the queue beside it."""
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            env.drain()
            stop.wait(0.2)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        return main(argv)
    finally:
        stop.set()
        worker.join(timeout=10)


def test_update_dry_run_lists_the_tickets_and_the_cost_and_sends_nothing(env, capsys):
    tid = declared(env)
    env.sim.clear_requests()
    argv = ["incident", "update", str(tid), "--message", "Hello {requester_name}", "--by", "Helen Head", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"a public reply on 1 of 1 linked ticket(s)\n  #{tid} to Olga Ops <ops@acme.test>" in out
    assert "Sending costs 2 write(s) and 4 read(s)" in out and "dry run: nothing sent" in out
    assert env.sim.requests_log()["writes"] == 0
    assert main([*argv[:3], "--message", "Hi {nobody}", "--by", "H", "--dry-run"]) == 1
    assert "unknown placeholder" in capsys.readouterr().err


def test_update_waits_for_the_worker_and_prints_the_outcome(env, capsys, tmp_path):
    tid = declared(env)
    message = tmp_path / "update.txt"
    message.write_text("Hello {requester_name}, a fix for #{ticket_id} is being deployed.\n", encoding="utf-8")
    argv = ["incident", "update", str(tid), "--message-file", str(message), "--by", "Helen Head", "--wait", "30"]
    assert run_with_worker(env, argv) == 0
    out = capsys.readouterr().out
    assert "status update u" in out and "queued, asked for by Helen Head" in out
    assert f"sent to 1 ticket(s) (#{tid})" in out
    assert main(["incident", "updates", str(tid)]) == 0
    assert "by Helen Head  done: sent to 1 ticket(s)" in capsys.readouterr().out


def test_refusals_and_bad_arguments_have_their_exit_status(env, capsys, tmp_path):
    tid = declared(env)
    assert main(["incident", "update", "424242", "--message", "Hi", "--by", "H", "--no-wait"]) == 1
    assert "refused: no incident 424242" in capsys.readouterr().err
    assert main(["incident", "update", str(tid), "--message", "Hi {whoever}", "--by", "H", "--no-wait"]) == 1
    assert "unknown placeholder {whoever}" in capsys.readouterr().err
    assert main(["incident", "update", str(tid), "--message-file", str(tmp_path / "missing.txt"), "--by", "H"]) == 2
    assert "cannot read the message" in capsys.readouterr().err
    assert main(["incident", "notify", str(tid), "--orgs", "acme", "--message", "Hi", "--by", "H"]) == 2
    assert "--orgs takes organisation ids" in capsys.readouterr().err
    assert main(["incident", "notify", str(tid), "--orgs", "999999", "--message", "Hi", "--by", "H"]) == 1
    assert "no such organisation(s) in Zendesk: 999999" in capsys.readouterr().err
    # Nobody works the queue: the command says so instead of waiting for ever.
    assert main(["incident", "update", str(tid), "--message", "Hi", "--by", "H", "--wait", "0"]) == 3
    assert "still being sent" in capsys.readouterr().err


def test_notify_dry_run_lists_who_and_the_cost_and_sends_nothing(env, capsys):
    tid = declared(env)
    org = int(env.sim.create_organization("Acme")["id"])
    env.sim.create_user("Ann Acme", "ann@acme.test", organization_id=org, tags=["incident_contact"])
    argv = ["incident", "notify", str(tid), "--orgs", str(org), "--message", "Hello {requester_name}", "--by", "H"]
    assert main([*argv, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"Acme (#{org}): 1 contact(s)" in out and "Ann Acme <ann@acme.test>" in out
    assert "which first becomes a problem ticket" in out and "dry run: nothing sent" in out
    assert not [t for t in env.sim.tickets() if "incident_notice" in t["tags"]]
    assert run_with_worker(env, [*argv, "--wait", "30"]) == 0
    assert "1 contact(s) in 1 organisation(s) told" in capsys.readouterr().out
    assert main(["incident", "notices", str(tid)]) == 0
    assert "done: 1 contact(s)" in capsys.readouterr().out
