"""Answers to the bot's own questions: a partner's reply to a check-in nudge is a reflection."""
