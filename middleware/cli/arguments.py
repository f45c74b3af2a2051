"""What several commands read the same way: ``--config`` and ``--since``.

A bad value is the user's to fix, so each is one line on stderr that names the option (or the
file) and the command's own exit status, never a traceback; the commands share the reading so
the wording is the same everywhere.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from middleware.config import Config, ConfigError, load_config, parse_duration


def config_or_none(path: str | None, label: str = "config") -> Config | None:
    """``config.yaml`` (or ``path``) loaded, or None once the problem is printed after ``label``."""
    try:
        return load_config(path)
    except (ConfigError, ValueError) as exc:
        print(f"{label}: {exc}", file=sys.stderr)
        return None


def since_or_none(value: str, label: str) -> timedelta | None:
    """``--since`` (``7d``, ``12h``) as a period, or None once the problem is printed after ``label``."""
    try:
        return parse_duration(value, "--since")
    except ConfigError as exc:
        print(f"{label}: {exc.problem}", file=sys.stderr)
        return None
