"""The ``correlation:`` section of config.yaml: which reports are "the same problem".

A *topic* is a name plus what a matching ticket says: phrases, regular expressions, custom field
values, or (for the rare case those cannot say it) a full rules condition. Topics are compiled
with the rule engine's own condition parser, so phrases behave exactly as rule keywords do
(case, apostrophes and punctuation ignored, whole words), evaluation is pure and fast, and every
match says why. When tickets from ``threshold`` distinct organisations match one topic within
``window``, ``jobs.correlate`` opens one problem ticket for them.

Parsed once at start-up; mistakes are ``ConfigError`` naming the key
(``correlation.topics[0] (orders).regex[1]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from marshmallow import fields, validate

from middleware.config.schema import ConfigError, Duration, SectionSchema, load_section
from rules.condition_types import AnyOf
from rules.conditions import parse_condition
from rules.engine import Actions, Rule, RuleSet
from rules.errors import ConditionError

__all__ = [
    "CorrelationSettings",
    "Topic",
    "load_correlation_settings",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
TOPIC_KEYS = ("name", "description", "enabled", "subject", "phrases", "regex", "fields", "when", "unless",
              "window", "threshold")


@dataclass(frozen=True)
class Topic:
    """One kind of problem many customers may report at once."""

    name: str
    subject: str  # the problem ticket's subject
    window: timedelta
    threshold: int  # distinct organisations
    description: str | None = None


@dataclass(frozen=True)
class CorrelationSettings:
    window: timedelta = timedelta(minutes=30)
    threshold: int = 2
    requester_email: str | None = None  # who files problem tickets (None: the API user)
    lock_timeout: timedelta = timedelta(seconds=120)
    topics: dict[str, Topic] = field(default_factory=dict)
    matcher: RuleSet = field(default_factory=lambda: RuleSet([]))  # one rule per enabled topic

    def matching(self, ticket: Any) -> list[tuple[Topic, tuple[str, ...]]]:
        """Topics ``ticket`` matches, in file order, each with the reasons (pure)."""
        if not self.topics:
            return []
        decision = self.matcher.evaluate(ticket, complete=True)
        return [(self.topics[m.rule], m.reasons) for m in decision.matches]


class _CorrelationSchema(SectionSchema):
    window = Duration()
    threshold = fields.Integer(validate=validate.Range(min=1, max=1000))
    requester_email = fields.String(allow_none=True)
    lock_timeout = Duration()
    topics = fields.List(fields.Raw())


def load_correlation_settings(raw: Any) -> CorrelationSettings:
    """Parse, check and compile the ``correlation`` section (absent: no topics, nothing correlated)."""
    top = load_section(_CorrelationSchema(), raw, "correlation")
    raw_topics = top.pop("topics", [])
    settings = CorrelationSettings(**top)
    if settings.window <= timedelta(0):
        raise ConfigError("correlation.window", "must be longer than zero")
    if settings.lock_timeout < timedelta(seconds=10):
        raise ConfigError("correlation.lock_timeout", "must be at least 10s (a problem ticket is created inside it)")
    email = (settings.requester_email or "").strip() or None
    if email is not None and ("@" not in email or " " in email):
        raise ConfigError("correlation.requester_email", f"expected an email address, got {email!r}")
    topics: dict[str, Topic] = {}
    rules: list[Rule] = []
    for index, raw_topic in enumerate(raw_topics):
        topic, rule = _topic(raw_topic, index, settings.window, settings.threshold)
        if topic is None or rule is None:
            continue
        if topic.name in topics:
            raise ConfigError(f"correlation.topics[{index}].name", f"duplicate topic name {topic.name!r}")
        topics[topic.name] = topic
        rules.append(rule)
    return replace(settings, requester_email=email, topics=topics, matcher=RuleSet(rules))


def _topic(raw: Any, index: int, window: timedelta, threshold: int) -> tuple[Topic | None, Rule | None]:
    """One topic and the rule that matches it; (None, None) for a disabled topic."""
    where = f"correlation.topics[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(where, "expected a mapping with name and phrases, regex, fields or when")
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        where += f" ({name.strip()})"
    for key in raw:
        if key not in TOPIC_KEYS:
            raise ConfigError(f"{where}.{key}", f"unknown key (known: {', '.join(TOPIC_KEYS)})")
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise ConfigError(f"{where}.name", "expected a short lower-case name (letters, digits, - and _), "
                                           f"got {name!r}")
    name = name.strip()
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled", f"expected true or false, got {enabled!r}")
    subject = raw.get("subject", f"Several customers report: {name.replace('-', ' ').replace('_', ' ')}")
    if not isinstance(subject, str) or not subject.strip():
        raise ConfigError(f"{where}.subject", "expected non-empty text")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(f"{where}.description", "expected text")
    own_window = window
    if "window" in raw:
        try:
            own_window = Duration().deserialize(raw["window"])
        except Exception as exc:
            raise ConfigError(f"{where}.window", getattr(exc, "messages", [str(exc)])[0]) from exc
        if own_window <= timedelta(0):
            raise ConfigError(f"{where}.window", "must be longer than zero")
    own_threshold = raw.get("threshold", threshold)
    if isinstance(own_threshold, bool) or not isinstance(own_threshold, int) or own_threshold < 1:
        raise ConfigError(f"{where}.threshold", f"expected a whole number of organisations (1 or more), "
                                                f"got {own_threshold!r}")
    when = _condition(raw, where)
    unless = None
    if raw.get("unless") is not None:
        try:
            unless = parse_condition(raw["unless"], "unless")
        except ConditionError as exc:
            raise ConfigError(f"{where}.{exc.key}", exc.problem) from None
    if not enabled:
        return None, None
    topic = Topic(name=name, subject=" ".join(subject.split()), window=own_window, threshold=own_threshold,
                  description=description)
    return topic, Rule(name=name, category="multi_customer", when=when, unless=unless, actions=Actions())


def _condition(raw: dict[str, Any], where: str) -> Any:
    """``phrases``/``regex``/``fields``/``when`` as one rules condition: any of them matches."""
    parts: list[Any] = []
    if raw.get("phrases") is not None:
        parts.append({"text": {"keywords": raw["phrases"]}})
    if raw.get("regex") is not None:
        parts.append({"text": {"regex": raw["regex"]}})
    if raw.get("fields") is not None:
        parts.append({"custom_fields": raw["fields"]})
    if raw.get("when") is not None:
        parts.append(raw["when"])
    if not parts:
        raise ConfigError(where, "give at least one of phrases, regex, fields or when")
    keys = [k for k in ("phrases", "regex", "fields", "when") if raw.get(k) is not None]
    compiled = []
    for key, part in zip(keys, parts, strict=True):
        try:
            compiled.append(parse_condition(part, key))
        except ConditionError as exc:
            raise ConfigError(f"{where}.{_topic_key(key, exc.key)}", exc.problem) from None
    return compiled[0] if len(compiled) == 1 else AnyOf(compiled)


def _topic_key(key: str, inner: str) -> str:
    """Map the parser's key path back to the topic's own key (``phrases.text.keywords[2]`` ->
    ``phrases[2]``), so the admin is pointed at what they wrote."""
    for prefix in (f"{key}.text.keywords", f"{key}.text.regex", f"{key}.custom_fields"):
        if inner.startswith(prefix):
            return key + inner[len(prefix):]
    return inner
