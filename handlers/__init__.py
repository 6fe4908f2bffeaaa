"""Features, one package each, listed once in `handlers.registry.FEATURES`.

A feature package holds its chat handlers, coach handlers, repository, models and rules, and
one `Feature` subclass in `feature.py`; `handlers/kit/` is what they share.
"""
