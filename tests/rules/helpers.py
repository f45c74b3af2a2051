"""Small builders shared by the rule tests: a ticket with only what a test cares about, and
a one-rule rule set."""

from __future__ import annotations

from typing import Any

from rules import Decision, RuleSet, compile_rules
from rules.model import Comment, Organization, Person, Ticket


def make_ticket(
    subject: str = "",
    description: str = "",
    comment: str | None = None,
    *,
    role: str | None = None,
    email: str | None = None,
    org_tags: tuple[str, ...] | None = None,
    org_fields: dict[str, Any] | None = None,
    org_id: int | None = None,
    **fields: Any,
) -> Ticket:
    requester = Person(id=7, role=role, email=email) if role or email else None
    organization = None
    if org_tags is not None or org_fields is not None:
        organization = Organization(id=org_id or 99, tags=tuple(org_tags or ()), fields=dict(org_fields or {}))
    fields.setdefault("tags", ())
    fields["tags"] = tuple(fields["tags"])
    return Ticket(
        id=fields.pop("id", 1),
        subject=subject,
        description=description,
        latest_comment=Comment(body=comment) if comment is not None else None,
        requester=requester,
        organization=organization,
        organization_id=org_id,
        **fields,
    )


def one_rule(when: dict[str, Any], **extra: Any) -> RuleSet:
    rule: dict[str, Any] = {"name": "r", "when": when}
    rule.update(extra)
    return compile_rules([rule])


def matches(when: dict[str, Any], ticket: Ticket, **extra: Any) -> bool:
    return one_rule(when, **extra).evaluate(ticket).critical


def reasons(when: dict[str, Any], ticket: Ticket) -> tuple[str, ...]:
    decision = one_rule(when).evaluate(ticket)
    assert decision.critical, decision.explain()
    return decision.matches[0].reasons


# -- sentences written for the language tests ------------------------------------------------------
def decide_customer_text(ruleset: RuleSet, text: str) -> Decision:
    """A customer's ticket that is only ``text`` (no subject), as the language tests write them."""
    return ruleset.evaluate(make_ticket("", text, role="end-user", email="ops@customer.example"))


def assert_security_incident(decision: Decision, signal: str) -> None:
    """Critical, in the security category, and ``signal`` is among the reasons."""
    assert signal in [hit.name for hit in decision.signals], decision.explain()
    assert decision.critical and decision.category == "security", decision.explain()


def assert_left_alone(decision: Decision) -> None:
    """Neither flagged nor put to a person."""
    assert decision.tier == "none", decision.explain()
    assert not decision.critical and not decision.possible, decision.explain()
