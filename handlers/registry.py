"""The one place where every feature registers its commands, buttons and states."""

from __future__ import annotations

from functools import cache

from handlers import assessment, common, menu, modules, onboarding, privacy, quiz
from handlers.router import Router

FEATURES = (common, onboarding, assessment, menu, modules, quiz, privacy)


@cache
def build_router() -> Router:
    router = Router()
    for feature in FEATURES:
        feature.register(router)
    return router
