"""The ``writeback:`` section of config.yaml: what a critical decision writes onto a ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import fields, post_load, validate

from middleware.config.schema import SectionSchema, load_section

__all__ = ["PRIORITIES", "WritebackSettings", "load_writeback"]

PRIORITIES = ("low", "normal", "high", "urgent")
_WORD = validate.Regexp(r"^\S+$")


@dataclass(frozen=True)
class WritebackSettings:
    """The tag that flags, the tags by which an agent overrides, the priority and a tag per category."""

    critical_tag: str = "critical_incident"
    override_tags: tuple[str, ...] = ("not_critical",)
    priority: str = "urgent"
    category_tags: dict[str, str] = field(
        default_factory=lambda: {
            "security": "critical_security",
            "outage": "critical_outage",
            "multi_customer": "critical_multi_customer",
            "monitoring": "critical_monitoring",
            "staff_report": "critical_staff_report",
        }
    )

    @property
    def tags(self) -> frozenset[str]:
        """Every tag this section names (other sections' tags must differ from them)."""
        return frozenset({self.critical_tag, *self.override_tags, *self.category_tags.values()})


class _WritebackSchema(SectionSchema):
    critical_tag = fields.String(validate=_WORD)
    override_tags = fields.List(fields.String(validate=_WORD))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    category_tags = fields.Dict(keys=fields.String(), values=fields.String(validate=_WORD), allow_none=True)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> WritebackSettings:
        if "override_tags" in data:
            data["override_tags"] = tuple(data["override_tags"])
        if not data.get("category_tags"):  # empty or null: the default categories
            data.pop("category_tags", None)
        return WritebackSettings(**data)


def load_writeback(raw: Any) -> WritebackSettings:
    """Parse and check the ``writeback`` section (absent: the defaults above)."""
    return load_section(_WritebackSchema(), raw, "writeback")
