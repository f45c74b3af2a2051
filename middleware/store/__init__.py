"""What the product keeps in Redis: the connection and key names, queues and job names, the
receiver's enqueue, incidents, SLA clocks and feedback. One module per kind of record, so each
record's atomic operations sit beside its layout.
"""
