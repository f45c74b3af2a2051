"""Entry point for ``gunicorn wsgi:app``: the config is loaded and checked at import."""

from middleware.web.app import create_app

app = create_app()

# Everything loaded so far (Flask, rules, schemas) lives as long as the process: keep it out of
# the garbage collector's generations, so full collections stay short (the ingest benchmark saw
# a 48 ms pause every ~6,000 requests without this).
import gc  # noqa: E402

gc.freeze()
