"""Broadcasts: a coach's message to a segment of partners, sent at the platform's rate."""
