"""The middleware's edges: config, Redis stores, the Zendesk client, the web app, the worker,
the command line and the local tools. The decisions live in ``rules/`` and the work in
``jobs/``; docs/architecture.md says which package may import which.
"""
