"""What the web app keeps of the rules: it decides no ticket (the workers do), so it checks the
whole configuration at start-up, the text model included, and then keeps no text model."""

from __future__ import annotations

from pathlib import Path

import pytest

from middleware.store.connection import connect
from middleware.web.app import create_app
from rules import RuleError

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def _env(config: Path) -> dict[str, str]:
    return {"MIDDLEWARE_CONFIG": str(config), "ZENDESK_WEBHOOK_SECRET": "a-secret-for-these-tests"}


def test_the_web_app_keeps_the_rules_but_not_the_text_model() -> None:
    app = create_app(env=_env(CONFIG), redis=connect("redis://127.0.0.1:1/0", for_web=True))
    rules = app.extensions["cim.config"].rules
    assert rules.scorer is not None and rules.scorer.model is None
    assert len(rules.scorer.signals) > 10 and rules.names  # the signals and the rules are all there


def test_a_broken_text_model_still_stops_the_web_app_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("rules:\n  include: rules/default.yaml\n  text_model: {data: {intercept: 0, blocks: []}}\n",
                      encoding="utf-8")
    with pytest.raises(RuleError, match="text_model"):
        create_app(env=_env(config), redis=connect("redis://127.0.0.1:1/0", for_web=True))
