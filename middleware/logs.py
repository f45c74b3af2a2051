"""Logging for every process: text by default, one JSON object per line with ``LOG_FORMAT=json``.

A log platform (Loki, CloudWatch, Datadog…) indexes JSON fields, so an operator can ask for
everything about ticket 1234 across web, workers and RQ. Each JSON line carries ``time``,
``level``, ``logger``, ``message`` and, when known, ``ticket_id``, ``incident_id`` and
``job_id``: from ``extra=`` if the caller passed them, else from the RQ job being run (its
event's ticket, or the incident its description names), else from the message itself
("incident 12: …", "ticket 34 …"). A failure's traceback goes in ``exception``.

Secrets never reach a log line in either format: every value of a secret-looking environment
variable (``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``*_URLS``, the password in ``REDIS_URL``)
is replaced by ``***`` before a line is written, whatever logged it (our code, RQ, redis-py).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from middleware.store.queues import job_subject

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ID_IN_TEXT = re.compile(r"\b(ticket|incident)[ #=](\d+)\b", re.IGNORECASE)
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|_URLS$|API_KEY", re.IGNORECASE)
MIN_SECRET_LENGTH = 6  # shorter values would blank ordinary words


def secrets_of(env: Mapping[str, str]) -> list[str]:
    """The values to keep out of logs, longest first (a value inside another is replaced last)."""
    found: set[str] = set()
    for name, value in env.items():
        if not value:
            continue
        if _SECRET_NAME.search(name):
            found.update(part.strip() for part in re.split(r"[,\s]+", value))
        if name == "REDIS_URL":
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                found.add(password)
    return sorted((s for s in found if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)


class RedactSecrets(logging.Filter):
    """Replaces secret values in the message, its arguments and the traceback text."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self.scrub(record.getMessage())
            record.args = None
            if record.exc_info:
                record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def _ids_of_current_job() -> dict[str, Any]:
    """``job_id`` and the ticket/incident of the RQ job this thread is running, if any."""
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        return {}
    if job is None:
        return {}
    ids: dict[str, Any] = {"job_id": job.id}
    about = job_subject(job)
    if about:
        word, number = about.split()
        ids[f"{word}_id"] = int(number)
    return ids


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for name in ("ticket_id", "incident_id", "job_id"):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for name, value in _ids_of_current_job().items():
            entry.setdefault(name, value)
        for word, number in _ID_IN_TEXT.findall(message):
            entry.setdefault(f"{word.lower()}_id", int(number))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_wanted(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return (env.get("LOG_FORMAT") or "").strip().lower() == "json"


def configure(level: int | str = logging.INFO, env: Mapping[str, str] | None = None) -> None:
    """Set up the root logger once per process (later calls change nothing)."""
    env = os.environ if env is None else env
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_wanted(env) else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSecrets(secrets_of(env)))
    root.addHandler(handler)
    root.setLevel(level)


def gunicorn_logconfig(env: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """gunicorn's own loggers (access and error lines) in the same format; None: gunicorn's default."""
    if not json_wanted(env):
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["secrets"],
               "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"secrets": {"()": RedactSecrets, "secrets": secrets_of(os.environ if env is None else env)}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"console": handler, "error_console": {**handler, "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
