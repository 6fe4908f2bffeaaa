"""Linking: one partner on several channels (Telegram and WhatsApp) with a /link code."""
