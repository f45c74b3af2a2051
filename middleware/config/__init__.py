"""The configuration: ``config.yaml`` read once at start-up into one typed object per section.

``load_config`` (``loader``) is the one entry point; each section has its own module (its
dataclass, the schema that builds it, and the checks that need the whole section), on top of
``schema`` (``ConfigError``, durations, the schema base class). Nothing here imports the rest of
the product but the Zendesk budget's figures and the rules compiler (docs/architecture.md).
"""

from middleware.config.loader import SECTIONS, Config, load_config
from middleware.config.schema import ConfigError, parse_duration
from middleware.config.webhook import WebhookSettings
from middleware.config.writeback import WritebackSettings
from middleware.config.zendesk import ZendeskSettings

__all__ = [
    "SECTIONS",
    "Config",
    "ConfigError",
    "WebhookSettings",
    "WritebackSettings",
    "ZendeskSettings",
    "load_config",
    "parse_duration",
]
