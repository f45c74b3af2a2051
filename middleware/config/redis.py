"""The ``redis:`` section of config.yaml: the prefix that keeps environments sharing one Redis
apart (README, "Environments on one Redis"). The Redis itself is ``REDIS_URL``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from middleware.config.schema import SectionSchema, load_section

__all__ = ["RedisSettings", "load_redis"]


@dataclass(frozen=True)
class RedisSettings:
    prefix: str = "cim"


class _RedisSchema(SectionSchema):
    builds = RedisSettings

    prefix = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]+$"))


def load_redis(raw: Any) -> RedisSettings:
    """Parse and check the ``redis`` section (absent: prefix ``cim``)."""
    return load_section(_RedisSchema(), raw, "redis")
