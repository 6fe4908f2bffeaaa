"""Coach features as services: roles, roster import, segments, webinars, broadcasts, reports.

Used by the chat handlers (handlers/coach_*.py) and the CLI alike; every function takes a
session (or Repos) and never commits.
"""
