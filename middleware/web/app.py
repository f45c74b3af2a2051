"""The Flask app factory: configuration is loaded and checked here, once, before serving.

Everything a request handler needs (config, Redis, secrets) is put on ``app.extensions`` at
start-up so that a broken config or a missing secret stops gunicorn from booting instead of
turning into 500s later.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from middleware import logs
from middleware.config import Config, load_config
from middleware.store.connection import Keys, connect, redis_url
from middleware.web.customer_updates_api import bp as customer_updates_bp
from middleware.web.customer_updates_page import bp as customer_updates_page_bp
from middleware.web.dashboard import bp as dashboard_bp
from middleware.web.health import bp as health_bp
from middleware.web.intake import bp as intake_bp
from middleware.web.signature import parse_secrets
from middleware.web.webhooks import bp as webhooks_bp

log = logging.getLogger(__name__)


def create_app(
    config: Config | None = None,
    *,
    env: dict[str, str] | None = None,
    redis: Any = None,
) -> Flask:
    """Build the web app. Tests pass ``config``/``redis``/``env``; production reads the environment."""
    env = dict(os.environ) if env is None else env
    # Under gunicorn nothing configures the app's logging (gunicorn.conf.py does only with LOG_FORMAT=json).
    logs.configure(logging.INFO, env)
    if config is None:
        config = load_config(env=env)
        # The web app decides no ticket (the workers do): the configuration is checked whole,
        # the text model with it, but the model's tables are not kept in every web process.
        # Collected at once (the rule set's signal checks hold it in a cycle), before the app's
        # own objects settle in the memory it leaves.
        config.rules = config.rules.without_text_model()
        gc.collect()
    app = Flask("middleware")
    app.config["MAX_CONTENT_LENGTH"] = config.webhook.max_body_bytes
    app.extensions["cim.config"] = config
    app.extensions["cim.redis"] = redis if redis is not None else connect(redis_url(env), for_web=True)
    app.extensions["cim.keys"] = Keys(config.redis_prefix)
    app.extensions["cim.webhook_secrets"] = parse_secrets(env.get("ZENDESK_WEBHOOK_SECRET"))
    app.extensions["cim.env"] = env
    if not app.extensions["cim.webhook_secrets"]:
        log.warning("ZENDESK_WEBHOOK_SECRET is not set: every webhook will be refused with 401")

    app.register_blueprint(health_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(customer_updates_bp)  # POST /api/incidents/<id>/updates (docs/customer-updates.md)
    app.register_blueprint(customer_updates_page_bp)  # /dashboard/incidents/<id>/update: the form

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        """Every error is JSON: Zendesk's delivery log and curl users both read it."""
        return jsonify(error=exc.name.lower().replace(" ", "_"), message=exc.description), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        return jsonify(error="internal_error", message="unexpected error; the event was not accepted"), 500

    return app
