"""Basics: /help, /progress, /language, unknown commands and text nobody is waiting for."""
