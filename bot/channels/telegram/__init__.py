"""Telegram: the library-free adapter (common), a driver per client library (aiogram, ptb),
and the serving loop (runner). Importing this package imports neither library."""
