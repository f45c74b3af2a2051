"""What the rule engine returns: a ``Decision`` that carries its own explanation.

A decision is written onto a Zendesk ticket (tags, priority, group, internal note) and shown in
a CLI, so it has to say *why* in words an agent understands, not just a boolean. It is a frozen
value with ``to_dict``/``from_dict`` so a job can store it in Redis as JSON and compare it later.

A decision can also be *undecided*: the ticket lacked requester or organisation context that
some rule reads, and that context could change the outcome. It then names those rules and the
context to fetch, and must not be acted upon until the ticket is evaluated again with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rules.scoring import SignalHit

__all__ = ["SCORE_RULE", "Decision", "Match", "Veto"]

SCORE_RULE = "signals"  # the pseudo-rule name of a decision the score made (in matches and undecided)


@dataclass(frozen=True, slots=True)
class Match:
    """One rule that matched: its name, its category and the reasons (plain English)."""

    rule: str
    category: str | None
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "category": self.category, "reasons": list(self.reasons)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Match:
        return cls(rule=data["rule"], category=data.get("category"), reasons=tuple(data.get("reasons") or ()))


@dataclass(frozen=True, slots=True)
class Veto:
    """A rule whose conditions matched but whose ``unless`` exception vetoed it.

    Kept because "why was this *not* flagged?" is the question an agent asks after a miss.
    """

    rule: str
    category: str | None
    reasons: tuple[str, ...]  # why the rule would have matched
    exceptions: tuple[str, ...]  # what vetoed it

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "reasons": list(self.reasons),
            "exceptions": list(self.exceptions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Veto:
        return cls(
            rule=data["rule"],
            category=data.get("category"),
            reasons=tuple(data.get("reasons") or ()),
            exceptions=tuple(data.get("exceptions") or ()),
        )


def _sentence(reasons: tuple[str, ...]) -> str:
    if not reasons:
        return "its conditions held"
    if len(reasons) == 1:
        return reasons[0]
    return "; ".join(reasons[:-1]) + "; and " + reasons[-1]


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of evaluating one ticket.

    ``critical`` is True when at least one enabled rule matched and was not vetoed.
    ``category`` comes from the first matching rule (file order) that has one; ``tags`` merge the
    ``add_tags`` of every matching rule (deduplicated, in order); ``priority`` is the highest any
    matching rule sets; ``group_id`` comes from the first matching rule that sets one. ``note`` is
    the internal note for the ticket (empty when not critical).

    ``undecided`` names the rules (file order) whose outcome depends on context the ticket
    lacks; ``needs_requester`` / ``needs_organization`` say which context settles them. While
    ``undecided`` is not empty every other field is provisional (built from the decided rules
    only): fetch that context and evaluate again, unless
    ``RuleSet.critical_whatever_undecided`` says the decision is critical, with its category,
    priority and group, whatever those rules turn out to be. When it is empty the decision is
    exactly what the ticket with its real context would get.
    """

    critical: bool
    category: str | None = None
    matches: tuple[Match, ...] = ()
    tags: tuple[str, ...] = ()
    priority: str | None = None
    group_id: int | None = None
    note: str = ""
    vetoed: tuple[Veto, ...] = ()
    undecided: tuple[str, ...] = ()
    needs_requester: bool = False
    needs_organization: bool = False
    possible: bool = False  # not critical, but the score says a person should look (possible tier)
    score: float | None = None  # the signals' score, when the rule set has signals
    signals: tuple[SignalHit, ...] = ()

    @property
    def tier(self) -> str:
        """``critical``, ``possible`` (put to a person) or ``none``."""
        return "critical" if self.critical else "possible" if self.possible else "none"

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(m.rule for m in self.matches)

    @property
    def decided(self) -> bool:
        """True when no rule waits for context: the decision may be acted upon."""
        return not self.undecided

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (lists, strings, ints, booleans only)."""
        return {
            "critical": bool(self.critical),
            "category": self.category,
            "matches": [m.to_dict() for m in self.matches],
            "tags": list(self.tags),
            "priority": self.priority,
            "group_id": self.group_id,
            "note": self.note,
            "vetoed": [v.to_dict() for v in self.vetoed],
            "undecided": list(self.undecided),
            "needs_requester": bool(self.needs_requester),
            "needs_organization": bool(self.needs_organization),
            "possible": bool(self.possible),
            "tier": self.tier,
            "score": self.score,
            "signals": [h.to_dict() for h in self.signals],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(
            critical=bool(data["critical"]),
            category=data.get("category"),
            matches=tuple(Match.from_dict(m) for m in data.get("matches") or ()),
            tags=tuple(data.get("tags") or ()),
            priority=data.get("priority"),
            group_id=data.get("group_id"),
            note=data.get("note") or "",
            vetoed=tuple(Veto.from_dict(v) for v in data.get("vetoed") or ()),
            # Absent from decisions stored before three-valued evaluation: those were decided.
            undecided=tuple(data.get("undecided") or ()),
            needs_requester=bool(data.get("needs_requester", False)),
            needs_organization=bool(data.get("needs_organization", False)),
            possible=bool(data.get("possible", False)),
            score=data.get("score"),
            signals=tuple(SignalHit.from_dict(h) for h in data.get("signals") or ()),
        )

    def explain(self) -> str:
        """A multi-line account for a person at a terminal, critical or not."""
        lines: list[str] = []
        if self.undecided:
            wanted = [("requester", self.needs_requester), ("organisation", self.needs_organization)]
            context = " and ".join(what for what, on in wanted if on) or "context"
            names = ", ".join(self.undecided)
            lines.append(f"UNDECIDED: the outcome of {names} depends on the ticket's {context}, which this ticket")
            lines.append("does not carry (the service reads it from Zendesk then). Provisional result without them:")
        if self.critical:
            lines.append(f"CRITICAL incident (category: {self.category or 'none'})")
            lines.append("Matched rules, in file order:")
            for i, match in enumerate(self.matches, 1):
                cat = f" [{match.category}]" if match.category else ""
                lines.append(f"  {i}. {match.rule}{cat}")
                lines.extend(f"     - {reason}" for reason in match.reasons)
            actions = []
            if self.tags:
                actions.append("add tags " + ", ".join(self.tags))
            if self.priority:
                actions.append(f"set priority {self.priority}")
            if self.group_id is not None:
                actions.append(f"assign group {self.group_id}")
            lines.append("Actions: " + ("; ".join(actions) if actions else "none beyond flagging as critical"))
        elif self.possible:
            lines.append(f"POSSIBLY critical (looks like: {self.category or 'none'}): "
                         "a person should confirm or dismiss.")
        else:
            lines.append("NOT critical: no rule matched" + (" and the score is below the thresholds." if
                                                            self.score is not None else "."))
        if self.score is not None:
            lines.append(f"Score {self.score:g} (tier: {self.tier}) from signals:")
            lines.extend(f"  - {hit.describe()}" for hit in self.signals)
            if not self.signals:
                lines.append("  (none)")
        if self.vetoed:
            lines.append("Vetoed by an exception (the rule matched, then its 'unless' applied):")
            for veto in self.vetoed:
                lines.append(f"  - {veto.rule}: matched because {_sentence(veto.reasons)}")
                lines.append(f"    but vetoed because {_sentence(veto.exceptions)}")
        return "\n".join(lines)
