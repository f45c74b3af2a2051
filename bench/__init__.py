"""Benchmarks: measure the service against its ceilings (issue 7, docs/benchmarks.md).

``python -m bench all`` runs every benchmark; ``python -m bench ingest|rules|e2e|timers|budget``
runs one. Each starts its own private Redis and real processes (gunicorn, RQ workers, the
Zendesk simulator) on 127.0.0.1 only, stops every process it started even on failure, prints a
table and writes ``bench/results/<name>.json``.
"""
