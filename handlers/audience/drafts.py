"""Guided coach flows keep their place here (table coach_drafts), never in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.audience.models import CoachDraft, DraftKind, DraftStep


@dataclass
class Draft:
    coach_id: int
    kind: DraftKind
    step: DraftStep
    data: dict[str, Any] = field(default_factory=dict)


class Drafts:
    """A coach's guided flow in progress, in one unit of work."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def get(self, coach_id: int) -> Draft | None:
        row = (await self.s.execute(select(CoachDraft).where(
            CoachDraft.coach_id == coach_id))).scalar_one_or_none()
        if row is None:
            return None
        try:
            return Draft(coach_id, DraftKind(row.kind), DraftStep(row.step),
                         dict(row.data or {}))
        except ValueError:  # a flow or step that no longer exists: drop it
            await self.clear(coach_id)
            return None

    async def save(self, draft: Draft, now: datetime) -> None:
        row = (await self.s.execute(select(CoachDraft).where(
            CoachDraft.coach_id == draft.coach_id))).scalar_one_or_none()
        if row is None:
            self.s.add(CoachDraft(coach_id=draft.coach_id, kind=draft.kind.value,
                                  step=draft.step.value, data=dict(draft.data),
                                  created_at=now, updated_at=now))
        else:
            row.kind = draft.kind.value
            row.step = draft.step.value
            row.data = dict(draft.data)
            row.updated_at = now
        await self.s.flush()

    async def clear(self, coach_id: int) -> None:
        await self.s.execute(delete(CoachDraft).where(CoachDraft.coach_id == coach_id))
