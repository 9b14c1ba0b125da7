"""Tickets and their timers: response (TTO) and resolution (TTR) time against the agreement's
business calendar, pauses, OLA handoffs, alignment of supporting targets and compliance."""
