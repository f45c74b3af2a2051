"""The ceilings for the ingest benchmark, served by exactly the same gunicorn command line as
``wsgi:app`` (bench/ingest.py copies it, changing only the app and the port):

* ``app``: a Flask endpoint that only answers 202 (the issue's reference);
* ``redis_app``: the same plus what no receiver may skip, reading the body and storing it in
  Redis in one round trip before answering (DESIGN.md §7.2: a 2xx means it is in Redis). The
  gap between the two is the cost of that round trip on this machine; the gap between
  ``redis_app`` and the receiver is what verifying, validating and normalising cost.
"""

from __future__ import annotations

import itertools
import os

from flask import Flask, Response, request

from middleware.store.connection import connect

app = Flask("bare")


@app.post("/webhooks/zendesk")
def webhook() -> Response:
    return Response(b'{"status":"queued"}', status=202, mimetype="application/json")


@app.get("/healthz")
def healthz() -> Response:
    return Response(b'{"ok":true}', status=200, mimetype="application/json")


redis_app = Flask("bare_redis")
_redis = connect(os.environ.get("REDIS_URL"), for_web=True)  # the receiver's own client settings
_ids = itertools.count()


@redis_app.post("/webhooks/zendesk")
def webhook_redis() -> Response:
    _redis.set(f"bench:floor:{os.getpid()}:{next(_ids)}", request.get_data(), ex=600)
    return Response(b'{"status":"queued"}', status=202, mimetype="application/json")


@redis_app.get("/healthz")
def healthz_redis() -> Response:
    return Response(b'{"ok":true}', status=200, mimetype="application/json")
