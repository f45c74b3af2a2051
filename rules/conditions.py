"""The strict parser that builds condition types (``rules.condition_types``) from a rule's YAML.

The parser rejects anything it does not understand (unknown keys, wrong types, empty lists,
values outside Zendesk's enums, broken regexes) with a ``ConditionError`` carrying the dotted
key path, because a rule that silently never matches is worse than a start-up failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from difflib import get_close_matches
from typing import Any

from rules.condition_types import (
    PRIORITIES,
    REQUESTER_ROLES,
    STATUSES,
    TICKET_TYPES,
    AllOf,
    AnyOf,
    Condition,
    FieldCheck,
    Not,
    RequesterDomain,
    TagCheck,
    TextMatch,
    ValueIn,
)
from rules.errors import ConditionError
from rules.model import Ticket
from rules.text import FIELD_NAMES, KeywordSet, Near, Scope, parse_keyword

__all__ = ["CONDITION_KEYS", "parse_condition", "unknown_key"]

_TAG = re.compile(r"^[^\s,]+$")


def unknown_key(key: Any, known: Iterable[str], path: str) -> ConditionError:
    known = sorted(known)
    hint = get_close_matches(str(key), known, n=1)
    extra = f' (did you mean "{hint[0]}"?)' if hint else ""
    return ConditionError(_join(path, str(key)), f"unknown key{extra}; expected one of: {', '.join(known)}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "nothing (null)",
    }.get(type(value), type(value).__name__)


def _mapping(value: Any, path: str, what: str = "a mapping") -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise ConditionError(path, f"expected {what}, got {_type_name(value)}")
    if not value:
        raise ConditionError(path, f"expected {what}, got an empty mapping")
    return value


def _strings(value: Any, path: str, what: str = "words", *, numbers: bool = False) -> list[str]:
    """A string or a non-empty list of non-empty strings (whole numbers too when ``numbers``:
    YAML reads the keyword 502 as a number, and an admin means the word)."""
    items = [value] if isinstance(value, (str, int)) and not isinstance(value, bool) else value
    if not isinstance(items, list):
        raise ConditionError(path, f"expected a list of {what}, got {_type_name(value)}")
    if not items:
        raise ConditionError(path, f"the list of {what} is empty")
    out = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        if numbers and isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str):
            raise ConditionError(where, f"expected text, got {_type_name(item)}")
        if not item.strip():
            raise ConditionError(where, "empty text")
        out.append(item.strip())
    return out


def _ints(value: Any, path: str, what: str = "ids") -> list[int]:
    """A whole number or a non-empty list of them (digit strings accepted: YAML users quote ids)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ConditionError(path, f"the list of {what} is empty")
    out = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item.strip())
        if isinstance(item, bool) or not isinstance(item, int) or item < 0:
            raise ConditionError(where, f"expected a whole number id, got {item!r}")
        out.append(item)
    return out


def _enum(value: Any, path: str, allowed: Sequence[str], what: str) -> list[str]:
    """``what`` is the singular noun ("priority"): a value or list, each one of ``allowed``."""
    items = _strings(value, path, what + " values")
    out = []
    for i, item in enumerate(items):
        low = item.lower()
        if low not in allowed:
            where = f"{path}[{i}]" if isinstance(value, list) else path
            raise ConditionError(where, f"unknown {what} {item!r}; expected one of: {', '.join(allowed)}")
        out.append(low)
    return out


def _tag_list(value: Any, path: str) -> list[str]:
    items = _strings(value, path, "tags")
    for i, item in enumerate(items):
        if not _TAG.match(item):
            where = f"{path}[{i}]" if isinstance(value, list) else path
            raise ConditionError(where, f"a tag cannot contain spaces or commas: {item!r}")
    return [t.lower() for t in items]


def _keyword_set(value: Any, path: str, *, wildcards: bool = True) -> KeywordSet:
    raw = _strings(value, path, "keywords", numbers=True)
    parsed = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        try:
            keyword = parse_keyword(item)
        except ValueError as exc:
            raise ConditionError(where, str(exc)) from None
        if keyword.wildcard and not wildcards:
            raise ConditionError(where, f"'*' is not supported here: list the words in full ({item!r})")
        parsed.append(keyword)
    return KeywordSet(parsed)


def _parse_near(value: Any, path: str) -> Near:
    spec = _mapping(value, path, "a mapping with first, then and optionally within, ordered, sentence")
    allowed = {"first", "then", "within", "ordered", "sentence"}
    for key in spec:
        if key not in allowed:
            raise unknown_key(key, allowed, path)
    for key in ("first", "then"):
        if key not in spec:
            raise ConditionError(_join(path, key), "missing: near needs both first and then")
    within = spec.get("within", 3)
    if isinstance(within, bool) or not isinstance(within, int) or not 0 <= within <= 20:
        raise ConditionError(_join(path, "within"), f"expected a number of words from 0 to 20, got {within!r}")
    flags = {key: _flag(spec, key, path, default) for key, default in (("ordered", True), ("sentence", False))}
    first = _keyword_set(spec["first"], _join(path, "first"), wildcards=False)
    then = _keyword_set(spec["then"], _join(path, "then"), wildcards=False)
    return Near(first, then, within, ordered=flags["ordered"], sentence=flags["sentence"])


def _flag(spec: dict[Any, Any], key: str, path: str, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise ConditionError(_join(path, key), f"expected true or false, got {_type_name(value)}")
    return value


def _parse_text(value: Any, path: str) -> Condition:
    spec = _mapping(value, path, "a mapping with keywords, near and/or regex (and optionally fields)")
    allowed = {"keywords", "near", "regex", "fields", "skip_questions", "skip_negated"}
    for key in spec:
        if key not in allowed:
            raise unknown_key(key, allowed, path)
    if not {"keywords", "near", "regex"} & set(spec):
        raise ConditionError(path, "give at least one of keywords, near or regex")
    fields = [0, 1, 2]
    if "fields" in spec:
        names = _strings(spec["fields"], _join(path, "fields"), "fields")
        fields = []
        for i, name in enumerate(names):
            low = name.lower()
            if low not in FIELD_NAMES:
                where = f"{path}.fields[{i}]" if isinstance(spec["fields"], list) else f"{path}.fields"
                raise ConditionError(where, f"unknown field {name!r}; expected one of: {', '.join(FIELD_NAMES)}")
            if FIELD_NAMES.index(low) not in fields:
                fields.append(FIELD_NAMES.index(low))
        fields.sort()
    keywords = _keyword_set(spec["keywords"], _join(path, "keywords")) if "keywords" in spec else None
    near = _parse_near(spec["near"], _join(path, "near")) if "near" in spec else None
    regexes = []
    if "regex" in spec:
        rx_path = _join(path, "regex")
        raw_rx = _strings(spec["regex"], rx_path, "regular expressions")
        for i, source in enumerate(raw_rx):
            where = f"{rx_path}[{i}]" if isinstance(spec["regex"], list) else rx_path
            try:
                pattern = re.compile(source, re.IGNORECASE)
            except re.error as exc:
                raise ConditionError(where, f"invalid regular expression: {exc}") from None
            if pattern.search("") is not None:
                raise ConditionError(where, f"regular expression /{source}/ matches empty text, so every ticket")
            regexes.append((source, pattern))
    scope = Scope(_flag(spec, "skip_questions", path, False), _flag(spec, "skip_negated", path, False))
    if regexes and (scope.skip_questions or scope.skip_negated):
        raise ConditionError(path, "skip_questions and skip_negated apply to keywords and near, not to regex: "
                                   "put the regex in a text condition of its own")  # fmt: skip
    return TextMatch(fields, keywords, regexes, near, scope)


def _parse_tags(value: Any, path: str, organization: bool) -> Condition:
    spec = _mapping(value, path, "a mapping with any, all and/or none")
    allowed = {"any", "all", "none"}
    for key in spec:
        if key not in allowed:
            raise unknown_key(key, allowed, path)
    lists = {key: _tag_list(spec[key], _join(path, key)) for key in allowed if key in spec}
    return TagCheck(organization, lists.get("any", ()), lists.get("all", ()), lists.get("none", ()))


def _parse_fields(value: Any, path: str, organization: bool) -> Condition:
    what = "a mapping of field key to a check" if organization else "a mapping of custom field id to a check"
    spec = _mapping(value, path, what)
    checks: list[Condition] = []
    for raw_key, check in spec.items():
        if organization:
            if not isinstance(raw_key, str) or not raw_key.strip():
                raise ConditionError(_join(path, str(raw_key)), "an organisation field key must be text")
            key = raw_key.strip()
        else:
            key = str(raw_key).strip()
            if isinstance(raw_key, bool) or not key.isdigit():
                raise ConditionError(_join(path, str(raw_key)), "a custom field is named by its numeric id")
        cpath = _join(path, key)
        check = _mapping(check, cpath, "one of equals, in or present")
        if len(check) != 1:
            raise ConditionError(cpath, "give exactly one of equals, in or present")
        ((op, expected),) = check.items()
        if op not in ("equals", "in", "present"):
            raise unknown_key(op, ("equals", "in", "present"), cpath)
        opath = _join(cpath, op)
        if op == "present":
            if not isinstance(expected, bool):
                raise ConditionError(opath, f"expected true or false, got {_type_name(expected)}")
        elif op == "equals":
            if isinstance(expected, (dict, list)) or expected is None:
                raise ConditionError(opath, f"expected a single value, got {_type_name(expected)}")
        else:
            if not isinstance(expected, list) or not expected:
                raise ConditionError(opath, "expected a non-empty list of values")
            for i, item in enumerate(expected):
                if isinstance(item, (dict, list)) or item is None:
                    raise ConditionError(f"{opath}[{i}]", f"expected a single value, got {_type_name(item)}")
        checks.append(FieldCheck(organization, key, op, expected))
    return checks[0] if len(checks) == 1 else AllOf(checks)


def _domains(value: Any, path: str) -> Condition:
    items = _strings(value, path, "domains")
    out = []
    for i, item in enumerate(items):
        domain = item.lower().lstrip("@")
        if "." not in domain or " " in domain or "@" in domain:
            where = f"{path}[{i}]" if isinstance(value, list) else path
            raise ConditionError(where, f"expected an email domain such as example.com, got {item!r}")
        out.append(domain)
    return RequesterDomain(out)


def _role(ticket: Ticket) -> str | None:
    requester = ticket.requester
    return requester.role if requester is not None else None


def _organization_id(ticket: Ticket) -> int | None:
    if ticket.organization_id is not None:
        return ticket.organization_id
    return ticket.organization.id if ticket.organization is not None else None


def _via(ticket: Ticket) -> str | None:
    return ticket.via_channel.lower() if ticket.via_channel else None


_PARSERS: dict[str, Callable[[Any, str], Condition]] = {
    "text": _parse_text,
    "tags": lambda v, p: _parse_tags(v, p, organization=False),
    "organization_tags": lambda v, p: _parse_tags(v, p, organization=True),
    "custom_fields": lambda v, p: _parse_fields(v, p, organization=False),
    "organization_fields": lambda v, p: _parse_fields(v, p, organization=True),
    "priority": lambda v, p: ValueIn("priority", lambda t: t.priority, _enum(v, p, PRIORITIES, "priority")),
    "type": lambda v, p: ValueIn("ticket type", lambda t: t.type, _enum(v, p, TICKET_TYPES, "type")),
    "status": lambda v, p: ValueIn("status", lambda t: t.status, _enum(v, p, STATUSES, "status")),
    "via": lambda v, p: ValueIn("via channel", _via, [s.lower() for s in _strings(v, p, "channels")]),
    "requester_role": lambda v, p: ValueIn(
        "requester role", _role, _enum(v, p, REQUESTER_ROLES, "role"), needs_requester=True
    ),
    "requester_domain": _domains,
    "organization_id": lambda v, p: ValueIn("organisation id", _organization_id, _ints(v, p)),
    "group_id": lambda v, p: ValueIn("group id", lambda t: t.group_id, _ints(v, p)),
}
_COMBINATORS = ("all", "any", "not")
CONDITION_KEYS: tuple[str, ...] = (*_COMBINATORS, *_PARSERS)


def parse_condition(raw: Any, path: str) -> Condition:
    """Build a condition from its YAML mapping; several keys in one mapping must all hold."""
    spec = _mapping(raw, path, "a condition (a mapping such as {text: {keywords: [...]}})")
    parts: list[Condition] = []
    for key, value in spec.items():
        key_path = _join(path, str(key))
        if key in ("all", "any"):
            if not isinstance(value, list):
                raise ConditionError(key_path, f"expected a list of conditions, got {_type_name(value)}")
            if not value:
                raise ConditionError(key_path, "the list of conditions is empty")
            children = [parse_condition(item, f"{key_path}[{i}]") for i, item in enumerate(value)]
            if len(children) == 1:
                parts.append(children[0])
            else:
                parts.append(AllOf(children) if key == "all" else AnyOf(children))
        elif key == "not":
            parts.append(Not(parse_condition(value, key_path)))
        elif key in _PARSERS:
            parts.append(_PARSERS[key](value, key_path))
        else:
            raise unknown_key(key, CONDITION_KEYS, path)
    return parts[0] if len(parts) == 1 else AllOf(parts)
