"""Coaches and admins: roles, and the partner roster."""
