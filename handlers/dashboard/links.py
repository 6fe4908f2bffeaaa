"""One-time sign-in links: made by /dashboard or the CLI, spent by the web dashboard."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.models import DashboardLink

LINK_LIFETIME = timedelta(minutes=10)


class LinkRefused(enum.StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Spent:
    """A link used now: who it signs in, or why it does not."""

    coach_id: int | None
    refused: LinkRefused | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/login/{token}"


class LinkRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def make(self, coach_id: int, now: datetime) -> str:
        """A fresh link token for the coach, valid for LINK_LIFETIME."""
        token = secrets.token_urlsafe(24)
        self.s.add(DashboardLink(token_hash=_hash(token), coach_id=coach_id, created_at=now,
                                 expires_at=now + LINK_LIFETIME, used_at=None))
        await self.s.flush()
        return token

    async def spend(self, token: str, now: datetime) -> Spent:
        """Marks the link used; a second use, or one after it expired, is refused."""
        if not token or len(token) > 100:
            return Spent(None, LinkRefused.UNKNOWN)
        row = (await self.s.execute(select(DashboardLink).where(
            DashboardLink.token_hash == _hash(token)))).scalar_one_or_none()
        if row is None:
            return Spent(None, LinkRefused.UNKNOWN)
        if row.used_at is not None:
            return Spent(None, LinkRefused.USED)
        if row.expires_at <= now:
            return Spent(None, LinkRefused.EXPIRED)
        # the used_at condition makes two simultaneous clicks sign in once
        done = await self.s.execute(update(DashboardLink).where(
            DashboardLink.id == row.id, DashboardLink.used_at.is_(None)).values(used_at=now))
        if not done.rowcount:  # type: ignore[attr-defined]
            return Spent(None, LinkRefused.USED)
        return Spent(row.coach_id, None)
