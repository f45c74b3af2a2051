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
import time
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


def _json_entry(created: float, level: str, name: str, message: str) -> dict[str, Any]:
    return {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": name,
        "message": message,
    }


def _add_ids(entry: dict[str, Any], message: str) -> None:
    """The ids of the RQ job being run, then those the message names, where not given."""
    for name, value in _ids_of_current_job().items():
        entry.setdefault(name, value)
    for word, number in _ID_IN_TEXT.findall(message):
        entry.setdefault(f"{word.lower()}_id", int(number))


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry = _json_entry(record.created, record.levelname, record.name, message)
        for name in ("ticket_id", "incident_id", "job_id"):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        _add_ids(entry, message)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_wanted(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return (env.get("LOG_FORMAT") or "").strip().lower() == "json"


_configured: list[logging.Handler] = []  # the handler ``configure`` installed, if it did


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
    _configured[:] = [handler]


class HotLine:
    """``logger.info(message)`` for a path that logs once per request (the webhook), written
    straight to the handler ``configure`` installed when that handler is the only one the line
    would reach: the same text, byte for byte, in either format, secrets redacted.

    Why: logging's general path (a ``LogRecord`` with the caller's frame, thread and process,
    the redaction filter, the formatter, ``strftime`` for every line) cost about 23 µs of the
    webhook's ~0.1 ms of work beyond storing the event (docs/benchmarks.md). Here the time
    prefix is formatted once per second and the line is one string written under the handler's
    lock. Any other setup (a handler added by an operator or by pytest's ``caplog``, a filter
    on the logger, another formatter, logging disabled) is checked on every call and gets
    ``logger.info`` unchanged.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._second: tuple[int, str] = (-1, "")  # one tuple, so threads never mix two seconds

    def __call__(self, message: str) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        handler = self._only_handler()
        if handler is None:
            logger.info("%s", message)
            return
        formatter = handler.formatter
        redact = handler.filters[0]
        created = time.time()
        if type(formatter) is JsonFormatter:
            line = _json_line(created, logger.name, redact.scrub(message))  # type: ignore[attr-defined]
        else:
            line = f"{self._asctime(formatter, created)} INFO {logger.name}: {redact.scrub(message)}"  # type: ignore[attr-defined, arg-type]
        stream = handler.stream  # type: ignore[attr-defined]
        with handler.lock:  # type: ignore[union-attr]
            try:
                stream.write(line + handler.terminator)  # type: ignore[attr-defined]
                stream.flush()
            except Exception:  # as StreamHandler.emit: a failed write never fails the request
                handler.handleError(logger.makeRecord(logger.name, logging.INFO, "", 0, message, None, None))

    def _only_handler(self) -> logging.Handler | None:
        """The handler ``configure`` installed, still as it was, if it alone gets this line."""
        if not _configured:
            return None
        ours = _configured[0]
        found: list[logging.Handler] = []
        logger: logging.Logger | None = self.logger
        if logger is None or logger.disabled or logger.filters:
            return None
        while logger is not None:
            found += logger.handlers
            if not logger.propagate:
                break
            logger = logger.parent
        if found != [ours] or ours.level > logging.INFO or len(ours.filters) != 1:
            return None
        if type(ours) is not logging.StreamHandler or not isinstance(ours.filters[0], RedactSecrets):
            return None
        formatter = ours.formatter
        if type(formatter) is JsonFormatter:
            return ours
        if (type(formatter) is logging.Formatter and formatter._fmt == TEXT_FORMAT and not formatter.datefmt
                and formatter.default_msec_format):
            return ours
        return None

    def _asctime(self, formatter: logging.Formatter, created: float) -> str:
        """``Formatter.formatTime`` without a record: the seconds formatted once per second."""
        second = int(created)
        cached, prefix = self._second
        if second != cached:
            prefix = time.strftime(formatter.default_time_format, formatter.converter(created))
            self._second = (second, prefix)
        return formatter.default_msec_format % (prefix, int((created - second) * 1000))  # type: ignore[operator]


def _json_line(created: float, name: str, message: str) -> str:
    """What ``JsonFormatter`` writes for an INFO line with no ``extra=`` and no exception."""
    entry = _json_entry(created, "INFO", name, message)
    _add_ids(entry, message)
    return json.dumps(entry, ensure_ascii=False, default=str)


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
