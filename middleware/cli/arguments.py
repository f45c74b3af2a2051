"""What several commands read the same way: ``--config`` and ``--since``; and the options of a
command that sums up a period (``report``, ``rules feedback``), declared once.

A bad value is the user's to fix, so each is one line on stderr that names the option (or the
file) and the command's own exit status, never a traceback; the commands share the reading so
the wording is the same everywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from middleware.config import Config, ConfigError, load_config, parse_duration


def config_or_none(path: str | None, label: str = "config") -> Config | None:
    """``config.yaml`` (or ``path``) loaded, or None once the problem is printed after ``label``."""
    try:
        return load_config(path)
    except (ConfigError, ValueError) as exc:
        print(f"{label}: {exc}", file=sys.stderr)
        return None


def add_period_command(sub: Any, name: str, help_text: str, func: Callable[[argparse.Namespace], int], *,
                       since: str) -> argparse.ArgumentParser:
    """A command that sums up the period back from now: ``--since`` (read by :func:`since_or_none`)
    and ``--json``, worded the same in every such command; the caller adds its own options."""
    p = sub.add_parser(name, help=help_text)
    p.add_argument("--since", default=since, help=f"how far back from now (e.g. 7d, 30d, 12h; default {since})")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=func)
    return p


def since_or_none(value: str, label: str) -> timedelta | None:
    """``--since`` (``7d``, ``12h``) as a period, or None once the problem is printed after ``label``."""
    try:
        return parse_duration(value, "--since")
    except ConfigError as exc:
        print(f"{label}: {exc.problem}", file=sys.stderr)
        return None
