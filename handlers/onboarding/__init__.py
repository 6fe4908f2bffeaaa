"""Onboarding: /start, joining a cohort, and the profile (language, name, background, zone)."""
