"""Everything that talks to Zendesk, and nothing else does: the client the jobs call, its
transport, the shared budget and its windows, the circuit breaker, the errors the jobs tell
apart and the pure mapping between Zendesk's JSON and the domain model (API answers in
``mapping``, webhook bodies in ``webhook``).
"""
