"""The one list of features. Adding a feature is one line here (and its own folder).

The order matters only where features share a way in: free text goes through the features'
interceptors in this order, and the shared views (/progress, /mydata, the digest) list the
features' parts in this order.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from handlers.basics.feature import FEATURE as basics
from handlers.broadcasts.feature import FEATURE as broadcasts
from handlers.checkins.feature import FEATURE as checkins
from handlers.coaches.feature import FEATURE as coaches
from handlers.dashboard.feature import FEATURE as dashboard
from handlers.faq.feature import FEATURE as faq
from handlers.kit.feature import FeatureBase
from handlers.learning.feature import FEATURE as learning
from handlers.missions.feature import FEATURE as missions
from handlers.onboarding.feature import FEATURE as onboarding
from handlers.optout.feature import FEATURE as optout
from handlers.privacy.feature import FEATURE as privacy
from handlers.reports.feature import FEATURE as reports
from handlers.tickets.feature import FEATURE as tickets
from handlers.webinars.feature import FEATURE as webinars
from scheduler.nudging import NudgeSource

FEATURES: tuple[FeatureBase, ...] = (
    basics,
    onboarding,
    learning,
    missions,  # before tickets: a coach's reply to a proof is a verdict
    privacy,
    faq,
    tickets,
    optout,
    coaches,
    reports,
    webinars,
    broadcasts,
    checkins,
    dashboard,
)


def nudge_sources() -> list[NudgeSource]:
    """Every feature's nudge rules, as the planner takes them."""
    return [src for feature in FEATURES for src in feature.nudges()]


def load_models() -> None:
    """Imports every feature's tables onto the shared metadata (for Alembic and tests)."""
    for models in sorted(Path(__file__).parent.glob("*/models.py")):
        importlib.import_module(f"handlers.{models.parent.name}.models")
