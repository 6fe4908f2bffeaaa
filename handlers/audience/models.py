"""Guided coach flows in progress (/webinar, /broadcast): one draft per coach."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class DraftKind(enum.StrEnum):
    WEBINAR = "webinar"
    BROADCAST = "broadcast"
    MOVE_WEBINAR = "move_webinar"
    MESSAGE = "message"  # a coach's message to one partner (/partner)


class DraftStep(enum.StrEnum):
    """Where a coach is in a guided flow; stored by name, never by number."""

    TITLE = "title"
    WHEN = "when"
    LINK = "link"
    DESCRIPTION = "description"
    FOLLOWUP = "followup"
    SEGMENT = "segment"
    SEGMENT_ARG = "segment_arg"
    TEXT = "text"
    CONFIRM = "confirm"
    SEND_AT = "send_at"


class CoachDraft(Base):
    """A coach's guided flow in progress (/webinar, /broadcast): one per coach."""

    __tablename__ = "coach_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"),
                                          unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
