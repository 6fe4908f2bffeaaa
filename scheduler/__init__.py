"""Proactive messages: nudge rules, the outbox dispatcher and the APScheduler jobs."""
