"""Zendesk's webhook bodies -> the domain model: the schemas, the fast loader, the normaliser.

Why here, below the jobs and the web app: the receiver validates every body so it can answer
a clear 400, and the worker builds the ``TicketEvent`` from the queued raw body (the request
then pickles a few hundred bytes instead of the event; docs/benchmarks.md, sixth round). Both
read the same bodies with the same code, so the code sits in the layer both may import.
Nothing here does I/O.
"""
