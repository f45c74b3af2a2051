"""A local Zendesk for the demo, the end-to-end tests and the benchmarks.

It serves the part of Zendesk's REST API the middleware uses (``/api/v2``, in shapes zenpy
2.0.57 parses), sends signed event webhooks for every change as Zendesk would (with its retry
rules), and exposes a control API (``/_sim``) to act as customers and agents, inject faults and
rate limits, pause webhook delivery and inspect what happened.

* :func:`create_app` – the Flask app; :class:`SimulatorServer` – serve it from a thread;
* :func:`main` – run it as a process (``python -m middleware simulator``);
* :class:`SimulatorControl` – client for ``/_sim``; :class:`RoutingSession` – point zenpy at it.
"""

from middleware.local.simulator.control import RoutingSession, SimulatorControl, SimulatorError
from middleware.local.simulator.core import Simulator
from middleware.local.simulator.server import SimulatorServer, create_app, main

__all__ = [
    "RoutingSession",
    "Simulator",
    "SimulatorControl",
    "SimulatorError",
    "SimulatorServer",
    "create_app",
    "main",
]
