"""The command line as an operator meets it: a missing setting or a bad file is one line naming
the problem and exit 2 (never a traceback); ``--version``; ``check-config --env``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from middleware.cli import main as cli
from middleware.local.localredis import free_port
from middleware.local.stack import ROOT

ZENDESK = {"ZENDESK_SUBDOMAIN": "yourco", "ZENDESK_EMAIL": "bot@yourco.example",
           "ZENDESK_API_TOKEN": "zd-token-not-shown-anywhere"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> pytest.MonkeyPatch:
    """Nothing of the operator's environment but a Redis that answers."""
    for name in ("ZENDESK_SUBDOMAIN", "ZENDESK_API_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN",
                 "ZENDESK_WEBHOOK_SECRET", "ADMIN_TOKEN", "INTAKE_TOKEN", "MIDDLEWARE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ALERT_HEAD_OF_SUPPORT_URLS", "ALERT_CTO_URLS", "ALERT_ENGAGEMENT_DIRECTOR_URLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REDIS_URL", redis_url)
    return monkeypatch


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"[1, 2]", "holds an array, not a JSON object"),
        (b'{"subject": "Site down"}', 'the ticket has no numeric "id"'),
        (b'{"ticket": {"id": "abc", "subject": "Site down"}}', "the ticket's \"id\" is 'abc', not a number"),
        (b"subject: site down\n", "is not JSON"),
        (b"\xff\xfe\x00", "is not UTF-8 text"),
        (b'"just a string"', "holds a string"),
    ],
)
def test_explain_names_what_is_wrong_with_the_file(tmp_path: Path, capsys, content: bytes, says: str) -> None:
    path = tmp_path / "ticket.json"
    path.write_bytes(content)
    assert cli.main(["explain", str(path)]) == 2
    err = one_line_error(capsys)
    assert err.startswith("explain: ") and says in err and str(path) in err


def test_explain_of_a_missing_file(tmp_path: Path, capsys) -> None:
    assert cli.main(["explain", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in one_line_error(capsys)


@pytest.mark.parametrize("argv", [["report"], ["action", "list"], ["reconcile", "--since", "1h"]])
def test_a_missing_zendesk_setting_is_one_line_and_exit_2(clean_env, capsys, argv: list[str]) -> None:
    assert cli.main(argv) == 2
    err = one_line_error(capsys)
    assert err == f"{argv[0]}: ZENDESK_SUBDOMAIN (or ZENDESK_API_URL) is not set"


def test_an_unreachable_redis_is_one_line_without_its_password(clean_env, capsys) -> None:
    for name, value in ZENDESK.items():
        clean_env.setenv(name, value)
    clean_env.setenv("REDIS_URL", f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    assert cli.main(["report"]) == 2
    err = one_line_error(capsys)
    assert err.startswith("report: cannot reach Redis at redis://:***@127.0.0.1:") and "hunter2" not in err


def test_a_bad_config_file_is_one_line(clean_env, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("sla: {first_response: soon}\n", encoding="utf-8")
    for name, value in ZENDESK.items():
        clean_env.setenv(name, value)
    assert cli.main(["--config", str(bad), "report"]) == 2
    assert one_line_error(capsys).startswith("report: config error")


def test_version_is_the_pyproject_version() -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    done = subprocess.run([sys.executable, "-m", "middleware", "--version"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"python -m middleware {expected}"


def test_check_config_env_names_each_missing_secret_and_fails(clean_env, capsys) -> None:
    assert cli.main(["check-config", "--env"]) == 1
    out = capsys.readouterr().out
    assert "ok       REDIS_URL" in out
    assert "error    ZENDESK_*: ZENDESK_SUBDOMAIN (or ZENDESK_API_URL) is not set" in out
    assert "error    ZENDESK_WEBHOOK_SECRET: not set: the web app refuses every webhook (401)" in out
    assert "warning  ADMIN_TOKEN: not set" in out and "warning  INTAKE_TOKEN: not set" in out
    assert "every alert is only logged" in out


def test_check_config_env_passes_and_never_prints_a_secret(clean_env, capsys) -> None:
    secrets = {**ZENDESK, "ZENDESK_WEBHOOK_SECRET": "whsec-old-value-1234,whsec-new-value-5678",
               "ADMIN_TOKEN": "admin-token-0123456789abcdef", "INTAKE_TOKEN": "tiny-1234",
               "ALERT_HEAD_OF_SUPPORT_URLS": "json://alerts.example/hook-secret-path"}
    for name, value in secrets.items():
        clean_env.setenv(name, value)
    assert cli.main(["check-config", "--env"]) == 0
    out = capsys.readouterr().out
    assert "ok       ZENDESK_*: https://yourco.zendesk.com with the API token of bot@yourco.example" in out
    assert "ok       ZENDESK_WEBHOOK_SECRET: set (two: rotating)" in out
    assert "ok       ADMIN_TOKEN: set" in out
    assert "warning  INTAKE_TOKEN: set, but shorter than 16 characters" in out
    assert "configured for head_of_support" in out
    for name, value in secrets.items():
        if name != "ZENDESK_EMAIL" and name != "ZENDESK_SUBDOMAIN":
            for part in value.split(","):
                assert part not in out, name
