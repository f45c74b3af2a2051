"""``python -m middleware …``: the commands an operator runs, on top of every other layer, so
that each can start what it needs (a worker, the demo, the simulator) and nothing imports it.
"""
