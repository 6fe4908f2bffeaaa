"""Every coach feature (issue 7), registered in one go from handlers/registry.py."""

from __future__ import annotations

from handlers import coach_broadcast, coach_flow, coach_report, coach_roles, coach_webinar
from handlers.router import Router

PARTS = (coach_flow, coach_roles, coach_report, coach_webinar, coach_broadcast)


def register(router: Router) -> None:
    for part in PARTS:
        part.register(router)
