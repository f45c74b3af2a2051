"""``python -m middleware check-config --env``: are the secrets and addresses the web app and the
workers need in this environment, and does Redis answer?

``check-config`` alone validates the file; a deployment fails just as surely on an unset
``ZENDESK_WEBHOOK_SECRET`` (every webhook refused) or a missing API token (every job fails),
and those only show up once traffic arrives. This check says so before. It never prints a
secret: only whether it is set (and, for tokens, whether it is long enough to resist guessing).

The commands import what they need inside their functions, so the command line starts fast
(none of these imports breaks a cycle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from middleware.config import Config
from middleware.store.connection import redact_url

MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class Finding:
    level: str  # "ok" | "warning" | "error"
    what: str  # the variable (or thing) checked
    detail: str

    def line(self) -> str:
        return f"  {self.level:<8} {self.what}: {self.detail}"


def _token(env: Mapping[str, str], name: str, off: str) -> Finding:
    value = (env.get(name) or "").strip()
    if not value:
        return Finding("warning", name, f"not set: {off}")
    if len(value) < MIN_TOKEN_LENGTH:
        return Finding("warning", name, f"set, but shorter than {MIN_TOKEN_LENGTH} characters (easy to guess)")
    return Finding("ok", name, "set")


def _zendesk(env: Mapping[str, str]) -> list[Finding]:
    from middleware.zendesk.errors import ZendeskError
    from middleware.zendesk.transport import Credentials

    try:
        creds = Credentials.from_env(dict(env))
    except ZendeskError as exc:
        return [Finding("error", "ZENDESK_*", f"{exc}: the workers cannot read or write any ticket")]
    how = "OAuth token" if creds.oauth_token and not creds.token else f"API token of {creds.email}"
    return [Finding("ok", "ZENDESK_*", f"{creds.base_url} with the {how}")]


def _redis(env: Mapping[str, str]) -> Finding:
    from redis import Redis
    from redis.exceptions import RedisError

    from middleware.store.connection import redis_url

    url = redis_url(dict(env))
    shown = redact_url(url)
    try:
        with Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as r:
            r.ping()
    except (RedisError, ValueError) as exc:
        return Finding("error", "REDIS_URL", f"{shown} does not answer ({exc})")
    return Finding("ok", "REDIS_URL", f"{shown} answers")


def _alerts(config: Config) -> Finding:

    setup = config.alerting.setup()
    if setup["logged_only"]:
        return Finding("warning", "alert URLs", "no role has a destination (ALERT_*_URLS): every alert is only logged")
    if setup["roles_without_destination"]:
        silent = ", ".join(setup["roles_without_destination"])
        return Finding("warning", "alert URLs", f"configured for {', '.join(setup['configured_roles'])}; "
                                                f"alerts to {silent} are only logged")
    return Finding("ok", "alert URLs", f"configured for {', '.join(setup['configured_roles'])}")


def check_environment(config: Config, env: Mapping[str, str]) -> list[Finding]:
    """What the web app and the workers need, in the order an operator would fix it."""
    secret = (env.get("ZENDESK_WEBHOOK_SECRET") or "").strip()
    findings = [
        _redis(env),
        *_zendesk(env),
        Finding("ok", "ZENDESK_WEBHOOK_SECRET", "set" + (" (two: rotating)" if "," in secret else ""))
        if secret else Finding("error", "ZENDESK_WEBHOOK_SECRET", "not set: the web app refuses every webhook (401)"),
        _token(env, "ADMIN_TOKEN", "/dashboard and /api/incidents refuse every request"),
        _token(env, "INTAKE_TOKEN", "/intake/alerts and /intake/reports refuse every request (503)"),
        _alerts(config),
    ]
    return findings
