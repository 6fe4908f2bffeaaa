"""Webinars and partners' RSVPs."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


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
    # a segment spec (see handlers.audience.segments), e.g. "all" or "cohort:batch1"
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
