"""Dockerfile, compose.yaml, Procfile and .env.example, checked without a container engine (CI
has none): every file the image copies exists, every command they run is one the product
accepts, Redis persists with AOF, and every variable config.yaml reads is in .env.example."""

from __future__ import annotations

import re
import shlex

import yaml

from middleware.cli.main import build_parser
from middleware.local.stack import ROOT


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_the_image_copies_what_exists_and_runs_gunicorn_on_the_app() -> None:
    text = dockerfile()
    for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.MULTILINE):
        *sources, _dest = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source
    cmd = re.search(r'^CMD (\[.*\])$', text, re.MULTILINE)
    assert cmd and yaml.safe_load(cmd.group(1))[:2] == ["gunicorn", "wsgi:app"]
    assert "USER cim" in text  # not root
    # The requirements file keeps the block the image cuts away.
    assert "# Tests and tooling" in (ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_compose_runs_web_worker_and_redis_with_aof() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"web", "worker", "redis"}
    redis_cmd = services["redis"]["command"]
    assert redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes"
    assert "noeviction" in redis_cmd
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    worker_cmd = services["worker"]["command"]
    assert worker_cmd[:3] == ["python", "-m", "middleware"]
    build_parser().parse_args(worker_cmd[3:])  # a command the CLI accepts
    for name in ("web", "worker"):
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["env_file"] == ".env"


def test_procfile_runs_the_same_two_processes() -> None:
    entries = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
                   if line.strip())
    assert set(entries) == {"web", "worker"}
    assert shlex.split(entries["web"])[:2] == ["gunicorn", "wsgi:app"]
    worker = shlex.split(entries["worker"])
    assert worker[:3] == ["python", "-m", "middleware"]
    build_parser().parse_args(worker[3:])


def test_env_example_names_every_variable_the_config_and_processes_read() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    needed = {"ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_WEBHOOK_SECRET", "ADMIN_TOKEN",
              "INTAKE_TOKEN", "LOG_FORMAT"}
    config = (ROOT / "config.yaml").read_text(encoding="utf-8")
    needed |= {name for name in re.findall(r"\$\{(ALERT_[A-Z_]+_URLS)", config)}
    assert needed <= named, needed - named
    assert not re.search(r"^[A-Z_]+=\S*[ \t]+#", example, re.MULTILINE)  # no inline comments: shells and compose differ
