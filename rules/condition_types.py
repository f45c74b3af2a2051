"""Condition types: what a rule's ``when`` and ``unless`` become, and how each answers for a ticket.

Every condition answers one question about a ticket in two steps: ``holds`` (yes or no, as
cheaply as possible, run for every rule on every ticket) and ``reasons`` (plain-English strings
such as ``subject contains "platform is down"``, only worked out for rules that match or are
vetoed), so explanations cost nothing on the common, non-matching path. ``describe`` says
what a condition looks for, used for ``not``.

A webhook carries ``requester_id`` and ``organization_id`` but not the requester or the
organisation, and fetching them is a Zendesk read. So there is a second, three-valued answer,
``judge`` (Kleene logic: True, False or None for "unknown"), used only when a ticket lacks context
that a condition reads: conditions on the missing context are unknown, and ``all`` / ``any`` /
``not`` combine unknowns so that a True or False answer is the one *any* context would give.
``known_reasons`` does the same for the explanation. Everything else keeps to ``holds``.

They are built from YAML by ``rules.conditions`` (the parser).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rules.model import Organization, Ticket
from rules.text import (
    FIELD_LABELS,
    FieldText,
    KeywordSet,
    Lexicon,
    Near,
    Scope,
    TicketText,
    normalise,
)

__all__ = [
    "PRIORITIES",
    "REQUESTER_ROLES",
    "STATUSES",
    "TICKET_TYPES",
    "AllOf",
    "AnyOf",
    "Condition",
    "Facts",
    "FieldCheck",
    "Not",
    "RequesterDomain",
    "TagCheck",
    "TextMatch",
    "Truth",
    "ValueIn",
    "lacks",
]

PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
TICKET_TYPES: tuple[str, ...] = ("question", "incident", "problem", "task")
STATUSES: tuple[str, ...] = ("new", "open", "pending", "hold", "solved", "closed")
REQUESTER_ROLES: tuple[str, ...] = ("end-user", "agent", "admin")

Truth = bool | None
"""Kleene truth value: True, False, or None when it depends on context the ticket lacks."""


class Facts:
    """What conditions read during one evaluation of one ticket.

    Two stages, because most conditions do not match most tickets. On creation all text fields
    are scanned at once (one normalisation, one split, one set intersection): ``present`` holds
    the keyword words found anywhere, so a keyword condition rejects a ticket with a single
    ``isdisjoint``; phrases are then confirmed on ``text`` (``TicketText``), once each.
    ``texts`` (one ``FieldText`` per field) is only built when a condition does match and has
    to say in which field.

    ``missing_requester`` / ``missing_organization`` are set by the rule set when the ticket
    has a ``requester_id`` / ``organization_id`` but not the record itself and the caller did not
    say the context is complete: conditions reading it are then unknown to ``judge``.
    """

    __slots__ = (
        "_text", "_texts", "fields", "lexicon", "missing_organization", "missing_requester", "ticket",
    )  # fmt: skip

    def __init__(self, ticket: Ticket, lexicon: Lexicon | None = None) -> None:
        self.ticket = ticket
        self.lexicon = lexicon if lexicon is not None else _EMPTY_LEXICON
        latest = ticket.latest_comment
        body = latest.body if latest is not None and latest.body else ""
        subject, description = ticket.subject or "", ticket.description or ""
        # On a new ticket the first comment is the description: do not scan it twice.
        same = bool(body) and body == description
        if same:
            body = ""
        self.fields = (subject, description, body, same)
        self._text: TicketText | None = None
        self._texts: tuple[FieldText | None, FieldText | None, FieldText | None] | None = None
        self.missing_requester = False
        self.missing_organization = False

    @property
    def text(self) -> TicketText:
        """All text fields normalised at once, on first use: rules that read only tags, fields or
        the requester (the shipped ones, mostly) never pay for it."""
        text = self._text
        if text is None:
            subject, description, body, _ = self.fields
            text = self._text = TicketText(normalise(f"{subject} {_SEP} {description} {_SEP} {body}"), self.lexicon)
        return text

    @property
    def present(self) -> frozenset[bytes]:
        """The keyword words found anywhere, read by every gate."""
        return self.text.present

    @property
    def texts(self) -> tuple[FieldText | None, FieldText | None, FieldText | None]:
        """Subject, description, latest comment; the comment shares the description's object
        when it is the same text (as on a new ticket), so it is neither normalised nor searched twice."""
        texts = self._texts
        if texts is None:
            subject, description, body, same = self.fields
            parts = self.text.squashed.split(_BSEP)
            if len(parts) != 3:  # a field contained the separator itself: normalise one by one
                parts = [normalise(subject), normalise(description), normalise(body)]
            vocab = self.lexicon.words
            fs = FieldText(subject, vocab, parts[0]) if subject else None
            fd = FieldText(description, vocab, parts[1]) if description else None
            fc = fd if same else (FieldText(body, vocab, parts[2]) if body else None)
            texts = self._texts = (fs, fd, fc)
        return texts


_SEP = "\x1e"  # ASCII record separator: survives normalisation as its own token, never typed by a customer
_BSEP = _SEP.encode()
_EMPTY_LEXICON = Lexicon(())


def _quote_list(values: Sequence[Any], joiner: str = "or", limit: int = 4) -> str:
    shown = [f'"{v}"' if isinstance(v, str) else str(v) for v in values[:limit]]
    if len(values) > limit:
        return ", ".join(shown) + f" {joiner} {len(values) - limit} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + f" {joiner} " + shown[-1]


class Condition:
    """Base class: a pure predicate over ``Facts``, in two steps.

    ``holds`` answers yes or no as cheaply as possible; it runs for every rule on every ticket.
    ``reasons`` says why, in plain English, and is only called once ``holds`` said yes and the
    rule is going to match or be vetoed, so the cost of explaining (finding which field, which
    words) is only paid for the few tickets that need it. ``cost`` orders ``all`` children
    cheapest first.

    ``needs_requester`` / ``needs_organization`` say the condition (or, for ``all``, ``any`` and
    ``not``, one nested in it) reads that context. ``judge`` and ``known_reasons`` are the
    three-valued counterparts of ``holds`` and ``reasons`` for tickets that lack it; a leaf gets
    them for free from the flags, only combinators override them.
    """

    cost: int = 1
    needs_requester: bool = False
    needs_organization: bool = False

    def holds(self, facts: Facts) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def reasons(self, facts: Facts) -> tuple[str, ...]:  # pragma: no cover - abstract
        """Why the condition holds; only called when ``holds`` is True."""
        raise NotImplementedError

    def test(self, facts: Facts) -> tuple[str, ...] | None:
        """``reasons`` when the condition holds, else None (one call for tests and tools)."""
        return self.reasons(facts) if self.holds(facts) else None

    def reads_missing(self, facts: Facts) -> bool:
        """True when this condition (or one nested in it) reads context the ticket lacks."""
        return (self.needs_requester and facts.missing_requester) or (
            self.needs_organization and facts.missing_organization
        )

    def judge(self, facts: Facts) -> Truth:
        """Kleene ``holds``: None when the answer depends on context the ticket lacks.

        A leaf that reads missing context is unknown; any other leaf is what ``holds`` says, so
        the two-valued code stays the only implementation of what a condition means. A definite
        answer is the one ``holds`` would give with whatever context the ticket really has.
        """
        if self.reads_missing(facts):
            return None
        return self.holds(facts)

    def known_reasons(self, facts: Facts) -> tuple[str, ...] | None:
        """``reasons`` for a condition ``judge`` found True, or None when *which* reasons would
        be given depends on the missing context (an ``any`` whose earlier child is unknown)."""
        return self.reasons(facts)

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def children(self) -> tuple[Condition, ...]:
        return ()

    def requires(self) -> tuple[frozenset[bytes], ...]:
        """Words this condition cannot hold without, as clauses: each clause must share a word
        with ``Facts.present``. Empty when there is no such guarantee (tags, regexes,
        ``not``). Lets a rule or combinator skip its children with a few C-level ``isdisjoint``
        calls on the many tickets that contain none of their words."""
        return ()

    def walk(self) -> Iterable[Condition]:
        """This condition and every nested one (for the lexicon and the needs_* flags)."""
        yield self
        for child in self.children():
            yield from child.walk()


def lacks(clauses: tuple[frozenset[bytes], ...], found: frozenset[bytes]) -> bool:
    """True when some clause shares nothing with ``found`` (see ``Condition.requires``)."""
    for clause in clauses:  # noqa: SIM110 - a plain loop: no generator on the hot path
        if clause.isdisjoint(found):
            return True
    return False


class AllOf(Condition):
    """Every child holds; reasons of all children. Children run cheapest first (short-circuit)."""

    def __init__(self, children: Sequence[Condition]) -> None:
        self._children = tuple(sorted(children, key=lambda c: c.cost))
        self.cost = sum(c.cost for c in self._children)
        self._requires = tuple(clause for c in self._children for clause in c.requires())
        self.needs_requester = any(c.needs_requester for c in self._children)
        self.needs_organization = any(c.needs_organization for c in self._children)

    def children(self) -> tuple[Condition, ...]:
        return self._children

    def requires(self) -> tuple[frozenset[bytes], ...]:
        return self._requires  # every child must hold, so every child's clauses apply

    def holds(self, facts: Facts) -> bool:
        if self._requires:
            found = facts.present
            for clause in self._requires:
                if clause.isdisjoint(found):
                    return False
        for child in self._children:  # noqa: SIM110 - a plain loop: no generator on the hot path
            if not child.holds(facts):
                return False
        return True

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        out: list[str] = []
        for child in self._children:
            out.extend(child.reasons(facts))
        return tuple(out)

    def judge(self, facts: Facts) -> Truth:
        """False if any child is False, else unknown if any child is unknown, else True."""
        if not self.reads_missing(facts):
            return self.holds(facts)
        if self._requires and lacks(self._requires, facts.present):
            return False  # a word every context would need is absent
        unknown = False
        for child in self._children:
            value = child.judge(facts)
            if value is None:
                unknown = True
            elif not value:
                return False
        return None if unknown else True

    def known_reasons(self, facts: Facts) -> tuple[str, ...] | None:
        if not self.reads_missing(facts):
            return self.reasons(facts)
        out: list[str] = []
        for child in self._children:
            part = child.known_reasons(facts)
            if part is None:
                return None
            out.extend(part)
        return tuple(out)

    def describe(self) -> str:
        return " and ".join(f"({c.describe()})" if isinstance(c, AnyOf) else c.describe() for c in self._children)


class AnyOf(Condition):
    """At least one child holds; reasons of the first that does (children run in file order)."""

    def __init__(self, children: Sequence[Condition]) -> None:
        self._children = _merge_keyword_children(children)
        self.cost = sum(c.cost for c in self._children)
        self._plan = tuple((c, c.requires()) for c in self._children)
        # For a yes/no answer order does not matter: children without word clauses (tags,
        # values) first, then, only if the ticket has a word some other child needs, the rest.
        self._free = tuple(c for c, req in self._plan if not req)
        self._gated = tuple((c, req) for c, req in self._plan if req)
        self._any_word: frozenset[bytes] = frozenset().union(*(req[0] for _, req in self._gated))
        # One child must hold: a word from one of its clauses is needed. A child with no
        # guarantee (a tag check) means the whole `any` has none.
        firsts = [min(req, key=len) for _, req in self._plan if req]
        self._requires = (frozenset().union(*firsts),) if len(firsts) == len(self._plan) else ()
        self.needs_requester = any(c.needs_requester for c in self._children)
        self.needs_organization = any(c.needs_organization for c in self._children)

    def children(self) -> tuple[Condition, ...]:
        return self._children

    def requires(self) -> tuple[frozenset[bytes], ...]:
        return self._requires

    def _first(self, facts: Facts) -> Condition | None:
        found = facts.present
        for child, clauses in self._plan:
            if clauses and (clauses[0].isdisjoint(found) or (len(clauses) > 1 and lacks(clauses[1:], found))):
                continue  # this child lacks a word it needs
            if child.holds(facts):
                return child
        return None

    def holds(self, facts: Facts) -> bool:
        for child in self._free:
            if child.holds(facts):
                return True
        found = facts.present
        if self._any_word.isdisjoint(found):
            return False
        for child, clauses in self._gated:
            if clauses[0].isdisjoint(found) or (len(clauses) > 1 and lacks(clauses[1:], found)):
                continue
            if child.holds(facts):
                return True
        return False

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        child = self._first(facts)
        return child.reasons(facts) if child is not None else ()

    def judge(self, facts: Facts) -> Truth:
        """True if any child is True, else unknown if any child is unknown, else False."""
        if not self.reads_missing(facts):
            return self.holds(facts)
        found = facts.present
        unknown = False
        for child, clauses in self._plan:
            if clauses and lacks(clauses, found):
                continue  # False in every context: it lacks a word it needs
            value = child.judge(facts)
            if value:
                return True
            if value is None:
                unknown = True
        return None if unknown else False

    def known_reasons(self, facts: Facts) -> tuple[str, ...] | None:
        """The reasons of the first child (file order) that holds, as ``reasons`` gives them;
        None when an unknown child comes first, since with context it might be the one."""
        if not self.reads_missing(facts):
            return self.reasons(facts)
        found = facts.present
        for child, clauses in self._plan:
            if clauses and lacks(clauses, found):
                continue
            value = child.judge(facts)
            if value is None:
                return None
            if value:
                return child.known_reasons(facts)
        return ()

    def describe(self) -> str:
        return " or ".join(f"({c.describe()})" if isinstance(c, AllOf) else c.describe() for c in self._children)


def _merge_keyword_children(children: Sequence[Condition]) -> tuple[Condition, ...]:
    """In an ``any``, plain keyword conditions over the same fields become one condition (one
    check per ticket instead of one per list); it takes the place of the first of them. Long
    ``unless`` lists built from YAML anchors are the common case."""
    out: list[Condition] = []
    slot: dict[tuple[int, ...], int] = {}
    for child in children:
        if (
            isinstance(child, TextMatch)
            and child.keywords is not None
            and child.near is None
            and not child.regexes
            and child.scope is None
        ):
            if child.fields in slot:
                first = out[slot[child.fields]]
                assert isinstance(first, TextMatch) and first.keywords is not None
                merged = KeywordSet([*first.keywords.keywords, *child.keywords.keywords])
                out[slot[child.fields]] = TextMatch(child.fields, merged, ())
                continue
            slot[child.fields] = len(out)
        out.append(child)
    return tuple(out)


class Not(Condition):
    """The child does not hold; the reason names what was absent."""

    def __init__(self, child: Condition) -> None:
        self._child = child
        self.cost = child.cost
        self.needs_requester = child.needs_requester
        self.needs_organization = child.needs_organization

    def children(self) -> tuple[Condition, ...]:
        return (self._child,)

    def holds(self, facts: Facts) -> bool:
        return not self._child.holds(facts)

    def judge(self, facts: Facts) -> Truth:
        """Swaps True and False; unknown stays unknown."""
        value = self._child.judge(facts)
        return None if value is None else not value

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        return (f"not: {self._child.describe()}",)

    def describe(self) -> str:
        return f"not ({self._child.describe()})"


LATEST = 3  # pseudo-field: the latest comment if there is one (other than the description), else the description


class TextMatch(Condition):
    """Keywords/phrases (whole words, case-insensitive), proximity (``near``) and/or regexes over
    chosen text fields; holds when any of them is found in any of the fields. A ``scope`` drops
    keyword and ``near`` occurrences inside yes/no questions or after a negator."""

    def __init__(
        self,
        fields: Sequence[int],
        keywords: KeywordSet | None,
        regexes: Sequence[tuple[str, re.Pattern[str]]],
        near: Near | None = None,
        scope: Scope | None = None,
    ) -> None:
        self.fields = tuple(fields)
        self.keywords = keywords
        self.regexes = tuple(regexes)
        self.near = near
        self.scope = scope if scope is not None and (scope.skip_questions or scope.skip_negated) else None
        # Searching all three fields, the ticket-wide scan alone decides for plain keywords.
        self._everywhere = self.fields == (0, 1, 2) and self.scope is None
        # The comment is skipped when it is the description's text and the description was searched.
        self._skip_duplicate_comment = 1 in self.fields and 2 in self.fields
        self.cost = (3 if keywords is not None else 0) + (4 if near is not None else 0) + 25 * len(self.regexes)

    def requires(self) -> tuple[frozenset[bytes], ...]:
        if self.regexes or (self.keywords is not None and self.keywords.wild):
            return ()
        words: frozenset[bytes] = frozenset()
        if self.keywords is not None:
            words |= self.keywords.gate_words
        if self.near is not None:
            words |= self.near.then.gate_words
        return (words,)

    def holds(self, facts: Facts) -> bool:
        keywords, near = self.keywords, self.near
        if keywords is not None or near is not None:
            text = facts.text
            if keywords is not None:
                if keywords.occurs(text):
                    if self._everywhere:
                        return True  # exact: the ticket-wide check covered every field
                elif not keywords.maybe_wild(text.squashed):
                    keywords = None  # none of its keywords is anywhere in the ticket
            if near is not None and not (near.first.occurs(text) and near.then.occurs(text)):
                near = None
            if keywords is None and near is None and not self.regexes:
                return False
        return self._locate(facts, keywords, near) is not None

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        reason = self._locate(facts, self.keywords, self.near)
        return (reason,) if reason is not None else ()

    def _locate(self, facts: Facts, keywords: KeywordSet | None, near: Near | None) -> str | None:
        """Search field by field; the reason for the first field that matches, or None."""
        texts = facts.texts
        scope = self.scope
        for index in self.fields:
            if index == LATEST:  # the comment when there is a separate one, else the description
                index = 2 if texts[2] is not None and texts[2] is not texts[1] else 1
                if index in self.fields:
                    continue  # searched (or about to be) as itself
            text = texts[index]
            if text is None or (index == 2 and self._skip_duplicate_comment and text is texts[1]):
                continue
            if keywords is not None:
                matched = keywords.find(text, scope=scope)
                if matched:
                    if len(matched) == 1:
                        return f'{FIELD_LABELS[index]} contains "{matched[0]}"'
                    return f"{FIELD_LABELS[index]} contains {_quote_list(matched, 'and')}"
            if near is not None:
                stretch = near.find(text, scope)
                if stretch is not None:
                    return f'{FIELD_LABELS[index]} contains "{stretch}"'
            for source, pattern in self.regexes:
                match = pattern.search(text.raw)
                if match is not None:
                    snippet = " ".join(match.group().split())[:80]
                    return f'{FIELD_LABELS[index]} contains "{snippet}" (pattern /{source}/)'
        return None

    def describe(self) -> str:
        where = " or ".join(FIELD_LABELS[i] for i in self.fields)
        if self.scope is not None:
            skipped = [w for w, on in (("questions", self.scope.skip_questions),
                                       ("negated words", self.scope.skip_negated)) if on]  # fmt: skip
            where += f" (outside {' and '.join(skipped)})"
        parts = []
        if self.keywords is not None:
            parts.append(f"{where} mentions {_quote_list([k.label for k in self.keywords.keywords])}")
        if self.near is not None:
            first = _quote_list([k.label for k in self.near.first.keywords])
            then = _quote_list([k.label for k in self.near.then.keywords])
            parts.append(f"{where} mentions {first} followed within {self.near.within} words by {then}")
        if self.regexes:
            parts.append(f"{where} matches {_quote_list(['/' + s + '/' for s, _ in self.regexes])}")
        return " or ".join(parts)


class TagCheck(Condition):
    """Ticket or organisation tags: ``any`` (one of), ``all`` (each of), ``none`` (none of)."""

    def __init__(
        self,
        organization: bool,
        any_of: Sequence[str] = (),
        all_of: Sequence[str] = (),
        none_of: Sequence[str] = (),
    ) -> None:
        self.organization = organization
        self.needs_organization = organization
        self.any_list, self.all_list, self.none_list = tuple(any_of), tuple(all_of), tuple(none_of)
        self._any = frozenset(any_of) if any_of else None
        self._all = frozenset(all_of) if all_of else None
        self._none = frozenset(none_of) if none_of else None
        self._what = "organisation tag" if organization else "tag"

    def _tags(self, facts: Facts) -> tuple[str, ...]:
        if self.organization:
            org: Organization | None = facts.ticket.organization
            return org.tags if org is not None else ()
        return facts.ticket.tags

    def holds(self, facts: Facts) -> bool:
        tags = self._tags(facts)
        if self._any is not None and self._any.isdisjoint(tags):
            return False
        if self._all is not None and not self._all.issubset(tags):
            return False
        return self._none is None or self._none.isdisjoint(tags)

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        tags = self._tags(facts)
        return tuple(self._parts([t for t in self.any_list if t in tags], "and"))

    def describe(self) -> str:
        return " and ".join(self._parts(self.any_list, "or"))

    def _parts(self, any_shown: Sequence[str], any_joiner: str) -> list[str]:
        """The check in words, one part per list. Only the ``any`` part differs: a reason names
        the tags the ticket has, a description every tag that would do."""
        parts = [f"{self._what} {_quote_list(any_shown, any_joiner)} present"] if self.any_list else []
        if self.all_list:
            parts.append(f"{self._what}s {_quote_list(self.all_list, 'and', 10)} present")
        if self.none_list:
            parts.append(f"no {self._what} {_quote_list(self.none_list, 'or', 10)}")
        return parts


class ValueIn(Condition):
    """One ticket value (priority, type, status, via channel, ids, requester role) is in a list."""

    def __init__(
        self,
        label: str,
        getter: Callable[[Ticket], Any],
        values: Sequence[Any],
        *,
        needs_requester: bool = False,
    ) -> None:
        self.label = label
        self._get = getter
        self.values = tuple(values)
        self._set = frozenset(values)
        self.needs_requester = needs_requester

    def holds(self, facts: Facts) -> bool:
        return self._get(facts.ticket) in self._set

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        value = self._get(facts.ticket)
        shown = f'"{value}"' if isinstance(value, str) else str(value)
        return (f"{self.label} is {shown}",)

    def describe(self) -> str:
        return f"{self.label} is {_quote_list(self.values)}"


class RequesterDomain(Condition):
    """The requester's email domain is one of the listed domains or a subdomain of one."""

    needs_requester = True

    def __init__(self, domains: Sequence[str]) -> None:
        self.domains = tuple(domains)
        self._exact = frozenset(domains)
        self._suffixes = tuple("." + d for d in domains)

    def _domain(self, facts: Facts) -> str | None:
        requester = facts.ticket.requester
        return requester.email_domain if requester is not None else None

    def holds(self, facts: Facts) -> bool:
        domain = self._domain(facts)
        return domain is not None and (domain in self._exact or domain.endswith(self._suffixes))

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        return (f'requester email domain is "{self._domain(facts)}"',)

    def describe(self) -> str:
        return f"requester email domain is {_quote_list(self.domains)}"


def _norm_value(value: Any) -> Any:
    """Compare field values loosely: strings trimmed and lower-cased, booleans as 'true'/'false'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return tuple(_norm_value(v) for v in value)
    if value is None:
        return None
    return str(value).strip().lower()


def _is_present(value: Any) -> bool:
    return value not in (None, "", False) and value != [] and value != ()


class FieldCheck(Condition):
    """A ticket custom field (by id) or organisation field (by key): ``equals``, ``in`` or ``present``."""

    def __init__(self, organization: bool, key: str, op: str, expected: Any) -> None:
        self.organization = organization
        self.needs_organization = organization
        self.key, self.op = key, op
        self.expected = expected  # equals: a value; in: a list; present: a bool
        self._want = frozenset(_norm_value(v) for v in expected) if op == "in" else _norm_value(expected)
        self._what = f'organisation field "{key}"' if organization else f"custom field {key}"

    def _values(self, facts: Facts) -> tuple[Any, tuple[Any, ...]]:
        ticket = facts.ticket
        if self.organization:
            org = ticket.organization
            value = org.fields.get(self.key) if org is not None else None
        else:
            value = ticket.custom_fields.get(self.key)
        got = _norm_value(value)
        return value, (got if isinstance(got, tuple) else (got,))

    def holds(self, facts: Facts) -> bool:
        value, values = self._values(facts)
        if self.op == "present":
            return _is_present(value) == self.expected
        if self.op == "equals":
            return self._want in values
        return not self._want.isdisjoint(values)  # type: ignore[union-attr]

    def reasons(self, facts: Facts) -> tuple[str, ...]:
        if self.op == "present":
            return (f"{self._what} is {'set' if self.expected else 'empty'}",)
        _, values = self._values(facts)
        return (f"{self._what} is {_quote_list([str(v) for v in values if v is not None], 'and')}",)

    def describe(self) -> str:
        if self.op == "present":
            return f"{self._what} is {'set' if self.expected else 'empty'}"
        if self.op == "equals":
            return f'{self._what} is "{self.expected}"'
        return f"{self._what} is {_quote_list([str(v) for v in self.expected])}"


# ---------------------------------------------------------------------------------------------
# Parsing
