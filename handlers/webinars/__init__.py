"""Webinars: coaches announce them with RSVP; partners get reminders before they start."""
