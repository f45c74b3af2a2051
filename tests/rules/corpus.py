"""Load the older labelled corpora as ``LabelledTicket``s, and the rule sets the tests use.

Scoring a rule set on any labelled set (these and ``tests/corpus/blind_*.yaml``) is
``middleware.cli.rules_eval`` (``python -m middleware rules eval``), which the tests, the README
figures and ``bench rules`` share. This module keeps what the engine's own tests need: integer
ticket ids unique across sets, the ids as written, and the phrase rules as a large rule set.

Three sets: ``tickets`` (``tests/corpus/tickets.yaml``, the tuning corpus) and two blind
hold-out sets written by someone who never saw the rules, ``holdout_a`` and ``holdout_b``
(a plain list of tickets with string ids such as ``ha-001`` and ``requester_role`` /
``requester_email`` instead of ``requester``). ``load_set(name)`` reads any of them,
``load_sets()`` all three; each ticket keeps its id as written (``LabelledTicket.ref``) and gets
an integer ``Ticket.id`` unique across the sets.

Read and compiled once per test session, because the suite asks for them again and again:
``labelled_set(name)`` (any ``tests/corpus/<name>.yaml`` as ``rules eval`` reads it; the names
are the files present, ``LABELLED_SETS``) and ``load_default_ruleset(**overrides)`` (the shipped
rules compiled, with the text and category models, once per set of overrides). Both are
immutable: labelled items and tickets are frozen dataclasses in a tuple, and a ``RuleSet``
decides without changing (``evaluate`` is pure), so sharing them hides nothing a test checks.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from middleware.cli.rules_eval import EvalItem, load_labelled
from middleware.config.rules import load_rules_document
from middleware.config.schema import load_yaml
from rules import RuleSet, compile_rules
from rules.model import Comment, Organization, Person, Ticket

__all__ = [
    "CONFIG_PATH",
    "CORPUS_DIR",
    "CORPUS_PATH",
    "LABELLED_SETS",
    "SET_NAMES",
    "LabelledTicket",
    "labelled_set",
    "load_corpus",
    "load_default_ruleset",
    "load_holdout",
    "load_phrase_rules",
    "load_set",
    "load_sets",
]

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "tests" / "corpus"
CORPUS_PATH = CORPUS_DIR / "tickets.yaml"
CONFIG_PATH = ROOT / "config.yaml"
PHRASE_RULES_PATH = Path(__file__).resolve().parent / "phrase_rules.yaml"
SET_NAMES: tuple[str, ...] = ("tickets", "holdout_a", "holdout_b")
# Every labelled set, by the files present (other sets are being added while these tests run).
LABELLED_SETS: tuple[str, ...] = tuple(sorted(path.stem for path in CORPUS_DIR.glob("*.yaml")))
# Integer ticket ids of the hold-out sets: the set's base plus the number in its string id.
_HOLDOUT_ID_BASE = {"holdout_a": 100_000, "holdout_b": 200_000}
_HOLDOUT_KEYS = {
    "id", "subject", "description", "comment", "tags", "via", "requester_role", "requester_email", "priority",
    "type", "status", "critical", "category", "why",
}  # fmt: skip
_TICKET_KEYS = {
    "id", "subject", "description", "comment", "tags", "via", "requester", "organization", "priority",
    "type", "status", "group_id", "custom_fields", "critical", "category", "why", "held_out",
}  # fmt: skip


@dataclass(frozen=True)
class LabelledTicket:
    """A corpus ticket with its expected outcome."""

    ticket: Ticket
    critical: bool
    category: str | None
    held_out: bool = False
    why: str | None = None
    ref: str = ""  # the id as written in the file ("42", "ha-001")
    source: str = "tickets"  # which set it comes from


def _ticket(item: dict[str, Any]) -> Ticket:
    unknown = set(item) - _TICKET_KEYS
    if unknown:
        raise ValueError(f"corpus ticket {item.get('id')}: unknown keys {sorted(unknown)}")
    requester = Person(**item["requester"]) if item.get("requester") else None
    org = None
    if item.get("organization"):
        raw = dict(item["organization"])
        raw["tags"] = tuple(raw.get("tags") or ())
        org = Organization(**raw)
    comment = Comment(body=item["comment"]) if item.get("comment") else None
    return Ticket(
        id=int(item["id"]),
        subject=item.get("subject") or "",
        description=item.get("description") or "",
        status=item.get("status", "new"),
        priority=item.get("priority"),
        type=item.get("type"),
        tags=tuple(item.get("tags") or ()),
        via_channel=item.get("via"),
        group_id=item.get("group_id"),
        organization_id=org.id if org else None,
        custom_fields={str(k): v for k, v in (item.get("custom_fields") or {}).items()},
        requester=requester,
        organization=org,
        latest_comment=comment,
    )


def _labelled(item: dict[str, Any], ticket: Ticket, ref: str, source: str) -> LabelledTicket:
    critical = item["critical"]
    if not isinstance(critical, bool):
        raise ValueError(f"corpus ticket {ref}: critical must be true or false")
    category = item.get("category")
    if critical and not category:
        raise ValueError(f"corpus ticket {ref}: a critical ticket needs a category")
    return LabelledTicket(ticket, critical, category, bool(item.get("held_out")), item.get("why"), ref, source)


def load_corpus(path: Path | str = CORPUS_PATH) -> list[LabelledTicket]:
    """Read ``tests/corpus/tickets.yaml`` into labelled tickets (checks the labels are consistent)."""
    data = load_yaml(Path(path).read_text(encoding="utf-8"))
    out: list[LabelledTicket] = []
    seen: set[int] = set()
    for item in data["tickets"]:
        ticket = _ticket(item)
        if ticket.id in seen:
            raise ValueError(f"corpus ticket id {ticket.id} is used twice")
        seen.add(ticket.id)
        out.append(_labelled(item, ticket, str(item["id"]), "tickets"))
    return out


def load_holdout(name: str, path: Path | str | None = None) -> list[LabelledTicket]:
    """Read a blind hold-out set (``tests/corpus/<name>.yaml``: a list of tickets with string ids
    such as ``ha-001``, ``requester_role`` and ``requester_email``). A requester with an email
    and no role is an end user, as the webhook reports customers."""
    if name not in _HOLDOUT_ID_BASE:
        raise ValueError(f"unknown hold-out set {name!r}; expected one of {sorted(_HOLDOUT_ID_BASE)}")
    path = CORPUS_DIR / f"{name}.yaml" if path is None else Path(path)
    data = load_yaml(Path(path).read_text(encoding="utf-8"))
    items = data["tickets"] if isinstance(data, dict) else data
    out: list[LabelledTicket] = []
    seen: set[str] = set()
    for item in items:
        ref = str(item.get("id", "")).strip()
        unknown = set(item) - _HOLDOUT_KEYS
        if unknown:
            raise ValueError(f"{name} ticket {ref}: unknown keys {sorted(unknown)}")
        digits = "".join(ch for ch in ref.rsplit("-", 1)[-1] if ch.isdigit())
        if not digits:
            raise ValueError(f"{name} ticket {ref!r}: the id needs a number (such as ha-001)")
        if ref in seen:
            raise ValueError(f"{name} ticket id {ref} is used twice")
        seen.add(ref)
        role, email = item.get("requester_role"), item.get("requester_email")
        requester = None
        if role or email:
            requester = {"role": role or "end-user", "email": email}
        converted = {
            "id": _HOLDOUT_ID_BASE[name] + int(digits),
            "subject": item.get("subject"),
            "description": item.get("description"),
            "comment": item.get("comment"),
            "tags": item.get("tags"),
            "via": item.get("via"),
            "requester": requester,
            "priority": item.get("priority"),
            "type": item.get("type"),
            "status": item.get("status", "new"),
        }
        out.append(_labelled(item, _ticket(converted), ref, name))
    return out


def load_set(name: str) -> list[LabelledTicket]:
    """One set by name: ``tickets`` (the tuning corpus), ``holdout_a`` or ``holdout_b``."""
    return load_corpus() if name == "tickets" else load_holdout(name)


def load_sets(names: Sequence[str] = SET_NAMES) -> dict[str, list[LabelledTicket]]:
    """Several sets by name, checking that no integer ticket id is used twice across them."""
    sets = {name: load_set(name) for name in names}
    seen: dict[int, str] = {}
    for name, items in sets.items():
        for item in items:
            if item.ticket.id in seen:
                raise ValueError(f"ticket id {item.ticket.id} ({name} {item.ref}) is also in {seen[item.ticket.id]}")
            seen[item.ticket.id] = name
    return sets


def load_default_ruleset(path: Path | str = CONFIG_PATH, **overrides: Any) -> RuleSet:
    """Compile the ``rules:`` section of the real config.yaml, its includes resolved (without
    the rest of middleware.config); ``overrides`` are set in that section as an admin would.
    Compiled once per test session for each path and overrides (a second of work each, most of
    it building the text and category models); a document that does not compile raises each time."""
    return _compiled(str(Path(path).resolve()), json.dumps(overrides, sort_keys=True))


@functools.cache
def _compiled(path: str, overrides: str) -> RuleSet:
    data = load_yaml(Path(path).read_text(encoding="utf-8"))
    return compile_rules(load_rules_document({**data["rules"], **json.loads(overrides)}, Path(path).parent))


@functools.cache
def labelled_set(name: str) -> tuple[EvalItem, ...]:
    """``tests/corpus/<name>.yaml`` as ``rules eval`` reads it (``load_labelled``), read once per
    test session."""
    return tuple(load_labelled(CORPUS_DIR / f"{name}.yaml"))


def load_phrase_rules() -> list[dict[str, Any]]:
    """The original phrase rules (``tests/rules/phrase_rules.yaml``): ~1,660 phrases in nine
    rules, kept as a large, realistic rule set for the engine's own tests (context, speed)."""
    return load_yaml(PHRASE_RULES_PATH.read_text(encoding="utf-8"))["rules"]
