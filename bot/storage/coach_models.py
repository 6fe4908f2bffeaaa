"""Coach tables: guided-flow drafts, webinars with RSVPs, and broadcasts (issue 7)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class DraftKind(enum.StrEnum):
    WEBINAR = "webinar"
    BROADCAST = "broadcast"
    MOVE_WEBINAR = "move_webinar"


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


class WebinarStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Webinar(Base):
    __tablename__ = "webinars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    link: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    followup: Mapped[str | None] = mapped_column(Text)
    # a segment spec (see bot.coach.segments), e.g. "all" or "cohort:batch1"
    audience: Mapped[str] = mapped_column(String(120))
    # the coach's zone, for showing times back to the coach
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=WebinarStatus.SCHEDULED.value)
    # bumped on every move, so reminders for the new time get fresh dedupe keys
    revision: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("partners.id",
                                                              ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Rsvp(enum.StrEnum):
    YES = "yes"
    NO = "no"


class WebinarRsvp(Base):
    __tablename__ = "webinar_rsvps"
    __table_args__ = (UniqueConstraint("webinar_id", "partner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"),
                                            index=True)
    answer: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime]


class BroadcastStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SCHEDULED.value)
    total: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("partners.id",
                                                              ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # when the coach was sent the final report (at most once)
    reported_at: Mapped[datetime | None]
