"""The one place where every feature registers its commands, buttons and states."""

from __future__ import annotations

from functools import cache

import handlers.coach_all as coach_all
import handlers.optout as optout
from handlers import assessment, common, faq, menu, modules, onboarding, privacy, quiz, tickets
from handlers.router import Router

FEATURES = (common, onboarding, assessment, menu, modules, quiz, privacy, faq, tickets, optout,
            coach_all)


@cache
def build_router() -> Router:
    router = Router()
    for feature in FEATURES:
        feature.register(router)
    return router
