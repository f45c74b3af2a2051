"""The work that talks to Zendesk, done in RQ jobs so the web process never waits on it.

``pipeline`` lists the stages of a ticket event and routes what each says happened; the stages
never import one another, and what they share sits below them (docs/architecture.md has the
map, and ``pyproject.toml`` the contract that keeps it).
"""
