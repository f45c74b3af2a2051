"""The first-response SLA stage: a clock per critical incident that Zendesk's hourly
automations cannot keep.

``clock`` drives each clock's state, ``transitions`` says what each step is (no I/O),
``writeback`` announces and writes it onto the ticket, ``timers`` schedules the RQ jobs and
``audit`` catches what they missed; ``words`` holds the notes' wording.
"""
