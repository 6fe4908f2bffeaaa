"""Guided coach flows keep their place here (table coach_drafts), never in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.coach_models import CoachDraft, DraftKind, DraftStep


@dataclass
class Draft:
    coach_id: int
    kind: DraftKind
    step: DraftStep
    data: dict[str, Any] = field(default_factory=dict)


async def get(session: AsyncSession, coach_id: int) -> Draft | None:
    row = (await session.execute(select(CoachDraft).where(
        CoachDraft.coach_id == coach_id))).scalar_one_or_none()
    if row is None:
        return None
    try:
        return Draft(coach_id, DraftKind(row.kind), DraftStep(row.step), dict(row.data or {}))
    except ValueError:  # a flow or step that no longer exists: drop it
        await clear(session, coach_id)
        return None


async def save(session: AsyncSession, draft: Draft, now: datetime) -> None:
    row = (await session.execute(select(CoachDraft).where(
        CoachDraft.coach_id == draft.coach_id))).scalar_one_or_none()
    if row is None:
        session.add(CoachDraft(coach_id=draft.coach_id, kind=draft.kind.value,
                               step=draft.step.value, data=dict(draft.data), created_at=now,
                               updated_at=now))
    else:
        row.kind = draft.kind.value
        row.step = draft.step.value
        row.data = dict(draft.data)
        row.updated_at = now
    await session.flush()


async def clear(session: AsyncSession, coach_id: int) -> None:
    await session.execute(delete(CoachDraft).where(CoachDraft.coach_id == coach_id))
