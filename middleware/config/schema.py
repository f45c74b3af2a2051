"""What every section of ``config.yaml`` is parsed with: the error an admin reads, durations, and
the schema base class that turns a section into its one typed object.

Every problem is reported as ``ConfigError`` naming the key path (``webhook.max_body_bytes``,
``sla.categories.security.first_response``) and what is wrong with it, because the person
reading it is an admin who just edited YAML, not a developer reading a traceback.

A section's defaults live once, on its frozen dataclass: its schema declares the keys and their
checks but no defaults, and builds the dataclass from the keys given, so an absent key takes the
dataclass's value.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

__all__ = [
    "TAG",
    "ConfigError",
    "Duration",
    "SectionSchema",
    "load_section",
    "load_yaml",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")
# libyaml's parser, which PyYAML's wheels ship; None where PyYAML was built without it.
_C_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)
# A Zendesk tag: one word, no spaces or commas (Zendesk splits tags on both).
TAG = validate.Regexp(r"^[^\s,]+$", error="a tag is one word without spaces or commas")


class ConfigError(ValueError):
    """A configuration problem, worded for the admin who edits config.yaml."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"config error at {key}: {problem}")


def parse_duration(value: Any, key: str = "duration") -> timedelta:
    """``90s``, ``45m``, ``1h``, ``1h30m``, ``2d`` (or a bare number of seconds)."""
    if isinstance(value, bool):
        raise ConfigError(key, f"expected a duration such as 45m or 1h, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigError(key, "a duration cannot be negative")
        return timedelta(seconds=value)
    text = str(value).strip().lower()
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise ConfigError(key, f"expected a duration such as 90s, 45m or 1h, got {value!r}")
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=d, hours=h, minutes=m, seconds=s)


class Duration(fields.Field):
    """A marshmallow field for duration strings, so schema errors name the key."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> timedelta:
        try:
            return parse_duration(value, attr or "duration")
        except ConfigError as exc:
            raise ValidationError(exc.problem) from exc


class SectionSchema(Schema):
    """A section (or part of one): unknown keys are refused, and ``builds`` (a dataclass) is
    made from the keys given, its own defaults filling in the rest."""

    builds: ClassVar[type | None] = None

    class Meta:
        unknown = RAISE

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        return self.builds(**data) if self.builds is not None else data


def load_section(schema: Schema, raw: Any, name: str) -> Any:
    """``raw`` (``None``: absent, the defaults) loaded by ``schema``, or ConfigError at ``name.key``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(name, "expected a mapping")
    try:
        return schema.load(raw)
    except ValidationError as exc:
        key, problem = _first_error(exc.messages)
        raise ConfigError(f"{name}.{key}" if key else name, problem) from exc


def _first_error(messages: Any, prefix: str = "") -> tuple[str, str]:
    """Flatten marshmallow's nested error dict to the first (key path, message)."""
    if isinstance(messages, dict):
        for k, v in messages.items():
            sub = (
                f"{prefix}.{k}"
                if prefix and not isinstance(k, int)
                else (f"{prefix}[{k}]" if isinstance(k, int) else str(k))
            )
            return _first_error(v, sub)
    if isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, (dict, list)):
            return _first_error(first, prefix)
        return prefix, str(first)
    return prefix, str(messages)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, parsed by libyaml's C parser where PyYAML has it.

    Why: config.yaml with the shipped rules (``rules/default.yaml``, ``rules/lexicons.yaml``)
    took 2 s of pure-Python parsing at every start of a worker, a gunicorn worker and each
    ``python -m middleware`` command, two thirds of loading the config; the C parser takes a
    tenth of that and gives the same documents (compared on every YAML file of this repository:
    the config, the rules, the labelled sets). A document it refuses is parsed again by the
    Python parser, so an admin's mistake is reported as before, with the offending line quoted.
    """
    if _C_LOADER is None:
        return yaml.safe_load(text)
    try:
        return yaml.load(text, Loader=_C_LOADER)  # CSafeLoader: the safe loader, in C
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises with the line quoted (or loads what only libyaml refused)
