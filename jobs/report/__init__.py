"""What the lead team reads about critical incidents, and the reminders that keep reviews moving.

``build`` computes the report (pure), ``delivery`` gathers and sends it weekly, ``reminders``
nudges about overdue reviews and actions.
"""
