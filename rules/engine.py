"""Compile the ``rules:`` section of config.yaml once; evaluate tickets many times, purely.

Rule shape (full reference with a worked example: ``rules/README.md``)::

    - name: security-incident          # required, unique
      description: free text           # optional, for people reading the file
      enabled: true                    # optional; false keeps the rule validated but inactive
      category: security               # optional; lower-case word; first matching rule's wins
      when: <condition>                # required
      unless: <condition> | [<condition>, ...]   # optional exceptions: any holds -> vetoed
      actions:                         # optional
        add_tags: [critical_security]
        priority: urgent               # low | normal | high | urgent
        group_id: 360001234567
        note: "Text added to the internal note when this rule matches."

A condition is a mapping; several keys in one mapping must all hold. Condition keys:

- ``all``, ``any``: lists of conditions; ``not``: a condition
- ``text``: ``{keywords: [...], near: {first: [...], then: [...], within: 3}, regex: [...],
  fields: [subject, description, comment]}``; keywords and phrases are whole words,
  case-insensitive, tolerant of punctuation between words, ``word*`` matches any ending
- ``tags``, ``organization_tags``: ``{any: [...], all: [...], none: [...]}``
- ``priority``, ``type``, ``status``, ``via``, ``requester_role``, ``requester_domain``,
  ``organization_id``, ``group_id``: a value or a list of values
- ``custom_fields`` (by field id), ``organization_fields`` (by field key):
  ``{"<id or key>": {equals: v} | {in: [...]} | {present: true|false}}``

Action keys: ``add_tags``, ``priority``, ``group_id``, ``note``.

Why it is built this way: evaluation is on the hot path of every ticket event, and the result
is written onto customers' tickets. So compilation does all the work that can be done once
(keyword indexes, regexes, one lexicon of every keyword word), evaluation reads nothing but the
ticket (no clock, no I/O), rules whose words are absent are skipped before any condition runs,
and explanations (which field, which words) are only worked out for rules that matched or were
vetoed, so the note on the ticket can say why without slowing down the tickets that are fine.

Context the webhook does not carry (the requester, the organisation) costs a Zendesk read. So
when a ticket has a ``requester_id`` but no requester (likewise the organisation), the rules
that read it are evaluated in three-valued (Kleene) logic: a rule whose outcome the missing
context cannot change is decided as usual, the others are reported as ``undecided`` and the
caller fetches the context only then. Tickets that have the context, and rules that do not
read it, take the ordinary two-valued path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from rules.condition_types import PRIORITIES, AnyOf, Condition, Facts, TextMatch, lacks
from rules.conditions import parse_condition, unknown_key
from rules.decision import SCORE_RULE, Decision, Match, Veto
from rules.errors import ConditionError, RuleError
from rules.frozen import builder
from rules.model import Ticket
from rules.scoring import Score, Scorer, SignalHit, compile_scorer
from rules.text import Lexicon
from rules.thread import latest_message

__all__ = ["Actions", "Rule", "RuleSet", "compile_rules", "latest_comment", "ticket_texts"]

RULE_KEYS: tuple[str, ...] = ("name", "description", "enabled", "category", "when", "unless", "actions", "weight")
DOCUMENT_KEYS: tuple[str, ...] = (
    "rules", "concepts", "product", "signals", "thresholds", "staff_domains", "tool_senders", "include", "possible",
    "text_model",
)  # fmt: skip
ACTION_KEYS: tuple[str, ...] = ("add_tags", "priority", "group_id", "note")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
_TAG = re.compile(r"^[^\s,]+$")
_PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}


@dataclass(frozen=True, slots=True)
class Actions:
    """What a matching rule asks to be done to the ticket."""

    add_tags: tuple[str, ...] = ()
    priority: str | None = None
    group_id: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule."""

    name: str
    category: str | None
    when: Condition
    unless: Condition | None
    actions: Actions
    enabled: bool = True
    description: str | None = None
    weight: float | None = None  # set: the rule is a signal adding this to the score, not a verdict


class RuleSet:
    """The compiled, enabled rules in file order; ``evaluate`` is pure and thread-safe."""

    def __init__(self, rules: Sequence[Rule], scorer: Scorer | None = None) -> None:
        self.scorer = scorer
        self.all_rules: tuple[Rule, ...] = tuple(rules)
        self.rules: tuple[Rule, ...] = tuple(r for r in rules if r.enabled)
        self.names: tuple[str, ...] = tuple(r.name for r in self.rules)
        self.disabled: tuple[str, ...] = tuple(r.name for r in rules if not r.enabled)
        conditions = [c for r in self.rules for top in (r.when, r.unless) if top is not None for c in top.walk()]
        self.needs_requester: bool = any(c.needs_requester for c in conditions) or bool(
            scorer is not None and scorer.reads_requester
        )
        self.needs_organization: bool = any(c.needs_organization for c in conditions)
        texts = [c for c in conditions if isinstance(c, TextMatch)]
        self.lexicon = Lexicon(
            [t.keywords for t in texts if t.keywords is not None], [t.near for t in texts if t.near is not None]
        )
        self._plan = tuple((r.name, r.category, r.when, r.unless, r.when.requires()) for r in self.rules)
        self._by_name = {r.name: r for r in self.rules}
        self._order = {r.name: i for i, r in enumerate(self.rules)}
        # For tickets that lack context: which context each rule reads (any nested condition).
        self._partial_plan = tuple(
            (*step, *_reads(rule)) for step, rule in zip(self._plan, self.rules, strict=True)
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.rules)

    def without_text_model(self) -> RuleSet:
        """The same rules and signals without the text and category models, for a process that
        checks the configuration but never decides a ticket (the web app): it need not keep the
        models' tables, which ``compile_rules`` built and checked against the trainer's values."""
        if self.scorer is None or (self.scorer.model is None and self.scorer.categories is None):
            return self
        return RuleSet(self.all_rules, self.scorer.without_model())

    def __repr__(self) -> str:
        signals = f", {len(self.scorer.signals)} signals" if self.scorer is not None else ""
        return f"RuleSet({len(self.rules)} enabled, {len(self.disabled)} disabled{signals})"

    def evaluate(self, ticket: Ticket, *, complete: bool = False) -> Decision:
        """Decide whether ``ticket`` is a critical incident, with reasons. Reads only ``ticket``.

        A ticket with a ``requester_id`` but no ``requester`` (or an ``organization_id`` but no
        ``organization``) lacks context; if an enabled rule reads it, rules whose outcome it
        could change come back in ``Decision.undecided`` instead of being guessed, so the caller
        fetches the context only when it matters. ``complete=True`` says the context is as
        complete as it will get (Zendesk has no such user): missing context then simply does not
        match, as for a ticket without a requester at all.
        """
        missing_req = missing_org = False
        if not complete:
            missing_req = self.needs_requester and ticket.requester is None and ticket.requester_id is not None
            missing_org = (self.needs_organization and ticket.organization is None
                           and ticket.organization_id is not None)
        decision = (self._evaluate_partial(ticket, missing_req, missing_org) if missing_req or missing_org
                    else self._evaluate_rules(ticket))
        if self.scorer is None:
            return decision
        return self._with_score(decision, ticket, missing_req)

    def _evaluate_rules(self, ticket: Ticket) -> Decision:
        if not self._plan:
            return _NOT_CRITICAL  # signals only: no text to normalise for rules
        facts = Facts(ticket, self.lexicon)
        matches: list[Match] = []
        vetoed: list[Veto] = []
        for name, category, when, unless, requires in self._plan:
            if requires and lacks(requires, facts.present):
                continue  # the ticket lacks words the rule cannot match without
            _two_valued(name, category, when, unless, facts, matches, vetoed)
        if not matches:
            return Decision(critical=False, vetoed=tuple(vetoed)) if vetoed else _NOT_CRITICAL
        return self._decide(matches, vetoed)

    def _with_score(self, decision: Decision, ticket: Ticket, missing_req: bool) -> Decision:
        """Add the score to the rules' decision: rules with a ``weight`` become signals, and when
        no rule decides alone the score's tier does (critical, possible, or neither).

        The score reads the requester only to know staff from customers. When the ticket lacks
        the requester, both are tried; if they agree the decision stands, otherwise the score
        is undecided and the caller fetches the requester, as for a rule that reads it.
        """
        scorer = self.scorer
        assert scorer is not None
        matches = decision.matches
        verdicts: list[Match] = []
        extra: tuple[SignalHit, ...] = ()
        if matches:
            by_name = self._by_name
            verdicts = [m for m in matches if by_name[m.rule].weight is None]
            extra = tuple(
                SignalHit(f"rule:{m.rule}", f'rule "{m.rule}"', float(by_name[m.rule].weight or 0), m.category,
                          _words_of(m.reasons))
                for m in matches if by_name[m.rule].weight is not None
            )  # fmt: skip
        view = scorer.view(ticket_texts(ticket), ticket.custom_fields)  # once, for either reading of the requester
        via = ticket.via_channel
        undecided = decision.undecided
        if missing_req and scorer.reads_requester:
            score = scorer.score_view(view, staff=False, via=via, extra=extra)
            as_staff = scorer.score_view(view, staff=True, via=via, extra=extra)
            if (score.tier, score.category) != (as_staff.tier, as_staff.category):
                undecided = (*undecided, SCORE_RULE)
        else:
            requester = ticket.requester
            staff = requester is not None and scorer.is_staff(requester.role, requester.email)
            score = scorer.score_view(view, staff=staff, via=via, extra=extra)
        needs_req = decision.needs_requester or SCORE_RULE in undecided
        if verdicts:
            base = self._decide(verdicts, list(decision.vetoed)) if len(verdicts) != len(matches) else decision
            return replace(base, score=score.value, signals=score.hits, undecided=undecided,
                           needs_requester=needs_req, needs_organization=decision.needs_organization)
        tier = score.tier
        if tier == "none":
            return _new_decision(critical=False, vetoed=decision.vetoed, undecided=undecided,
                                 needs_requester=needs_req, needs_organization=decision.needs_organization,
                                 score=score.value, signals=score.hits)
        described = [hit.describe() for hit in score.hits]
        note = self._score_note(score, described)
        category = score.category
        if tier == "critical":
            reasons = (f"score {score.value:g}", *described)
            return _new_decision(critical=True, category=category,
                                 matches=(_new_match(rule=SCORE_RULE, category=category, reasons=reasons),),
                                 tags=(f"critical_{category}",) if category else (), note=note,
                                 vetoed=decision.vetoed, undecided=undecided, needs_requester=needs_req,
                                 needs_organization=decision.needs_organization, score=score.value,
                                 signals=score.hits)
        return _new_decision(critical=False, possible=True, category=category, note=note, vetoed=decision.vetoed,
                             undecided=undecided, needs_requester=needs_req,
                             needs_organization=decision.needs_organization, score=score.value, signals=score.hits)

    def _score_note(self, score: Score, described: list[str]) -> str:
        """The internal note for a ticket the score flagged (or found possibly critical);
        ``described`` is each signal's ``describe()``."""
        assert self.scorer is not None
        if score.tier == "critical":
            head = f"Flagged automatically as a critical incident (category: {score.category})."
            bar = f"critical at {self.scorer.critical:g}"
        else:
            head = f"Possibly a critical incident (looks like: {score.category}); a person should decide."
            bar = f"possible at {self.scorer.possible:g}, critical at {self.scorer.critical:g}"
        return "\n".join([head, f"Score {score.value:g} ({bar}) from these signals:", *("- " + d for d in described)])

    def _evaluate_partial(self, ticket: Ticket, missing_req: bool, missing_org: bool) -> Decision:
        """``evaluate`` for a ticket that lacks context some rule reads (the requester when
        ``missing_req``, the organisation when ``missing_org``).

        Rules that do not read the missing context run exactly as in ``evaluate``. The others
        are judged in Kleene logic: ``when`` False skips the rule; ``when`` True with ``unless``
        definitely True or False (or absent) vetoes or matches it, provided the reasons given do
        not depend on the missing context either; anything else leaves the rule undecided.
        That makes a decision with no undecided rule equal to the one the ticket would get with
        its real context, whatever that context is.
        """
        facts = Facts(ticket, self.lexicon)
        facts.missing_requester, facts.missing_organization = missing_req, missing_org
        matches: list[Match] = []
        vetoed: list[Veto] = []
        undecided: list[str] = []
        need_req = need_org = False
        for name, category, when, unless, requires, reads_req, reads_org in self._partial_plan:
            if requires and lacks(requires, facts.present):
                continue  # no words, no match: in every context
            if not ((reads_req and missing_req) or (reads_org and missing_org)):
                _two_valued(name, category, when, unless, facts, matches, vetoed)
                continue
            verdict = when.judge(facts)
            if verdict is False:
                continue
            if verdict:
                exception = unless.judge(facts) if unless is not None else False
                because = when.known_reasons(facts) if exception is not None else None
                if because is not None:
                    if not exception:
                        matches.append(Match(name, category, because))
                        continue
                    assert unless is not None
                    vetoes = unless.known_reasons(facts)
                    if vetoes is not None:
                        vetoed.append(Veto(name, category, because, vetoes))
                        continue
            undecided.append(name)
            need_req = need_req or (reads_req and missing_req)
            need_org = need_org or (reads_org and missing_org)
        if not matches:
            return Decision(
                critical=False,
                vetoed=tuple(vetoed),
                undecided=tuple(undecided),
                needs_requester=need_req,
                needs_organization=need_org,
            )
        decision = self._decide(matches, vetoed)
        if not undecided:
            return decision
        return replace(decision, undecided=tuple(undecided), needs_requester=need_req, needs_organization=need_org)

    def critical_whatever_undecided(self, decision: Decision) -> bool:
        """True when an undecided ``decision`` is critical whatever its undecided rules turn out
        to be, with the same category, priority and group: those rules can only add matches
        (a veto only stops its own rule), and each of them comes after the match that gives the
        category (and the group), and asks for no higher priority. All they could still add is
        their tags and their lines of the note.

        That is what a caller needs to act without fetching the context: a customer's ticket
        that says "critical" and is an outage by other rules is flagged at once, without the
        read that would only tell whether the customer is staff (a read per customer, on the
        day hundreds write in at once).
        """
        if not decision.critical or not decision.undecided:
            return decision.critical
        if SCORE_RULE in decision.undecided:
            return False  # staff or customer changes the category or the tier: fetch
        if any(m.rule == SCORE_RULE for m in decision.matches):
            return False  # the score decided: an undecided rule that matches would decide instead: fetch
        order = self._order
        matched = [(order[m.rule], self._by_name[m.rule]) for m in decision.matches]
        category_at = next((i for i, r in matched if r.category is not None), len(order))
        group_at = next((i for i, r in matched if r.actions.group_id is not None), len(order))
        have = _PRIORITY_RANK[decision.priority] if decision.priority is not None else -1
        for name in decision.undecided:
            rule, at = self._by_name[name], order[name]
            if rule.category is not None and at < category_at:
                return False
            if rule.actions.group_id is not None and at < group_at:
                return False
            if rule.actions.priority is not None and _PRIORITY_RANK[rule.actions.priority] > have:
                return False
        return True

    def _decide(self, matches: list[Match], vetoed: list[Veto]) -> Decision:
        category: str | None = None
        tags: dict[str, None] = {}
        priority: str | None = None
        group_id: int | None = None
        for match in matches:
            actions = self._by_name[match.rule].actions
            if category is None:
                category = match.category
            for tag in actions.add_tags:
                tags[tag] = None
            if actions.priority is not None and (
                priority is None or _PRIORITY_RANK[actions.priority] > _PRIORITY_RANK[priority]
            ):
                priority = actions.priority
            if group_id is None:
                group_id = actions.group_id
        return Decision(
            critical=True,
            category=category,
            matches=tuple(matches),
            tags=tuple(tags),
            priority=priority,
            group_id=group_id,
            note=self._note(matches, category),
            vetoed=tuple(vetoed),
        )

    def _note(self, matches: list[Match], category: str | None) -> str:
        """The internal note: what matched, on which words/fields, plus each rule's own note."""
        head = "Flagged automatically as a critical incident"
        head += f" (category: {category})." if category else "."
        lines = [head]
        for i, match in enumerate(matches):
            verb = "Matched" if i == 0 else "Also matched"
            because = "; ".join(match.reasons) if match.reasons else "its conditions held"
            lines.append(f'{verb} rule "{match.rule}" because: {because}.')
            rule_note = self._by_name[match.rule].actions.note
            if rule_note:
                lines.append(f"  {rule_note}")
        return "\n".join(lines)


_NOT_CRITICAL = Decision(critical=False)
_new_decision = builder(Decision)  # the same Decision, built in half the time (rules/frozen.py)
_new_match = builder(Match)


def latest_comment(ticket: Ticket) -> str:
    """The latest comment's body as written, or "" where there is none or it is the description
    again (a new ticket's first comment is its description)."""
    latest = ticket.latest_comment
    return latest.body if latest is not None and latest.body and latest.body != ticket.description else ""


def ticket_texts(ticket: Ticket) -> dict[str, str]:
    """Subject, description and the latest comment (``latest_comment``), each body its newest
    message without the history a reply quotes (rules/thread.py): what the signals and the text
    model read, and what the model is trained on."""
    subject = ticket.subject or ""
    return {"subject": subject, "description": latest_message(ticket.description or "", subject),
            "comment": latest_message(latest_comment(ticket), subject)}


def _words_of(reasons: tuple[str, ...]) -> tuple[str, ...]:
    """The quoted words of a rule's reasons ('description contains "x"'), for a signal's words."""
    words: list[str] = []
    for reason in reasons:
        words.extend(re.findall(r'"([^"]+)"', reason))
    return tuple(words[:3]) or reasons[:1]


def _two_valued(name: str, category: str | None, when: Condition, unless: Condition | None, facts: Facts,
                matches: list[Match], vetoed: list[Veto]) -> None:
    """One rule on a ticket that has all the context it reads: it matches, is vetoed, or not."""
    if not when.holds(facts):
        return
    if unless is not None and unless.holds(facts):
        vetoed.append(Veto(name, category, when.reasons(facts), unless.reasons(facts)))
        return
    matches.append(Match(name, category, when.reasons(facts)))


def _reads(rule: Rule) -> tuple[bool, bool]:
    """Whether any condition of the rule (``when`` or ``unless``) reads the requester, the organisation."""
    conditions = [c for top in (rule.when, rule.unless) if top is not None for c in top.walk()]
    return any(c.needs_requester for c in conditions), any(c.needs_organization for c in conditions)


def _rule_name(raw: dict[Any, Any]) -> str | None:
    name = raw.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _parse_actions(raw: Any) -> Actions:
    if not isinstance(raw, dict):
        raise ConditionError("actions", "expected a mapping of add_tags, priority, group_id and note")
    for key in raw:
        if key not in ACTION_KEYS:
            raise unknown_key(key, ACTION_KEYS, "actions")
    tags: list[str] = []
    if "add_tags" in raw:
        value = raw["add_tags"]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise ConditionError("actions.add_tags", "expected a non-empty list of tags")
        for i, tag in enumerate(items):
            where = f"actions.add_tags[{i}]" if isinstance(value, list) else "actions.add_tags"
            if not isinstance(tag, str) or not _TAG.match(tag):
                raise ConditionError(where, f"expected a tag without spaces or commas, got {tag!r}")
            if tag.lower() not in tags:
                tags.append(tag.lower())
    priority = None
    if "priority" in raw:
        value = raw["priority"]
        if not isinstance(value, str) or value.lower() not in PRIORITIES:
            raise ConditionError(
                "actions.priority", f"unknown priority {value!r}; expected one of: {', '.join(PRIORITIES)}"
            )
        priority = value.lower()
    group_id = None
    if "group_id" in raw:
        value = raw["group_id"]
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConditionError("actions.group_id", f"expected a Zendesk group id (a whole number), got {value!r}")
        group_id = value
    note = None
    if "note" in raw:
        value = raw["note"]
        if not isinstance(value, str) or not value.strip():
            raise ConditionError("actions.note", "expected non-empty text")
        note = " ".join(value.split())
    return Actions(add_tags=tuple(tags), priority=priority, group_id=group_id, note=note)


def _compile_rule(raw: dict[Any, Any]) -> Rule:
    """One rule, or ConditionError with the key path inside the rule."""

    for key in raw:
        if key not in RULE_KEYS:
            raise unknown_key(key, RULE_KEYS, "")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConditionError("name", "every rule needs a name (text), used in notes and explanations")
    if "\n" in name.strip():
        raise ConditionError("name", "a rule name must fit on one line")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise ConditionError("description", "expected text")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConditionError("enabled", f"expected true or false, got {enabled!r}")
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not _CATEGORY.match(category)):
        raise ConditionError("category", f"expected a lower-case word such as security or outage, got {category!r}")
    if "when" not in raw:
        raise ConditionError("when", "every rule needs a 'when' condition")
    when = parse_condition(raw["when"], "when")
    unless: Condition | None = None
    if "unless" in raw:
        value = raw["unless"]
        if isinstance(value, list):
            if not value:
                raise ConditionError("unless", "the list of exceptions is empty")
            parts = [parse_condition(item, f"unless[{i}]") for i, item in enumerate(value)]
            unless = parts[0] if len(parts) == 1 else AnyOf(parts)
        else:
            unless = parse_condition(value, "unless")
    actions = _parse_actions(raw["actions"]) if "actions" in raw else Actions()
    weight = raw.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))):
        raise ConditionError("weight", f"expected a number (the rule then adds it to the score), got {weight!r}")
    return Rule(
        name=name.strip(),
        category=category,
        when=when,
        unless=unless,
        actions=actions,
        enabled=enabled,
        description=description,
        weight=float(weight) if weight is not None else None,
    )


def compile_rules(raw_rules: Iterable[dict[str, Any]] | dict[str, Any] | None) -> RuleSet:
    """Validate and compile the rules; raise ``RuleError`` naming rule and key.

    ``raw_rules`` is either a list of rules (each decides alone) or a rules document: a mapping
    with ``rules`` (that list), ``concepts``, ``product``, ``signals``, ``thresholds`` and
    ``staff_domains`` (``rules/scoring.py``), with any ``include`` already resolved by the caller
    (reading files is I/O, which this package does not do).
    """
    if raw_rules is None:
        return RuleSet([])
    if isinstance(raw_rules, dict):
        return _compile_document(raw_rules)
    if not isinstance(raw_rules, list):
        raise RuleError(None, None, "", f"expected a list of rules, got {type(raw_rules).__name__}")
    compiled: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            raise RuleError(index, None, "", "expected a rule (a mapping with name, when, ...)")
        name = _rule_name(raw)
        try:
            rule = _compile_rule(raw)
        except ConditionError as exc:
            raise RuleError(index, name, exc.key, exc.problem) from None
        if rule.name in seen:
            raise RuleError(index, name, "name", f'duplicate rule name "{rule.name}" (also rules[{seen[rule.name]}])')
        seen[rule.name] = index
        compiled.append(rule)
    return RuleSet(compiled)


def _compile_document(raw: dict[str, Any]) -> RuleSet:
    for key in raw:
        if key not in DOCUMENT_KEYS:
            error = unknown_key(key, DOCUMENT_KEYS, "")
            raise RuleError(None, None, error.key, error.problem)
    plain = compile_rules(raw.get("rules") or [])
    if not any(k in raw for k in ("signals", "concepts", "product")):
        return plain
    try:
        scorer = compile_scorer(raw)
    except ConditionError as exc:
        raise RuleError(None, None, exc.key, exc.problem) from None
    return RuleSet(plain.all_rules, scorer)
