"""Opting out: /stop turns off nudges and broadcasts; /start turns them back on."""
