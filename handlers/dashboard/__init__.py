"""The coaches' web dashboard: one-time sign-in links (/dashboard) and the figures it shows."""
