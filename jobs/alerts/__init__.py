"""Telling people about incidents: a service the stages, timers and reminders all use.

``notify`` decides who hears of an incident event and queues one delivery per destination,
``delivery`` sends each exactly once, ``messages`` words them.
"""
