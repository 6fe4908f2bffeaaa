"""Running coachbot in production: process roles, health and metrics, JSON logs."""
