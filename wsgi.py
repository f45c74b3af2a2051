"""Entry point for ``gunicorn wsgi:app``: the config is loaded and checked at import."""

from middleware.app import create_app

app = create_app()
