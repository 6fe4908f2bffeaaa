"""Missions' tables: proof submissions, check-in reflections, spaced-review items and
certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base
from handlers.learning.models import ModuleProgress

# the missions' nudges read the modules finished in a time window (an unlock)
Index("ix_module_progress_completed", ModuleProgress.completed_at, ModuleProgress.module_id)


class MissionSubmission(Base):
    """One proof a partner sent for a mission; every one is kept (resubmissions too)."""

    __tablename__ = "mission_submissions"
    __table_args__ = (Index("ix_mission_submissions_partner", "partner_id", "mission_id"),
                      Index("ix_mission_submissions_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    # empty while the partner still chooses which mission the proof is for
    mission_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(500))
    file_name: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[int | None]
    feedback: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    target_met: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]


class MissionReflection(Base):
    """What a partner said got in the way of a mission (their answer to the check-in)."""

    __tablename__ = "mission_reflections"
    __table_args__ = (Index("ix_mission_reflections_partner", "partner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    mission_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ReviewItem(Base):
    """A quiz question a partner missed, coming back after 1, 3 and 7 days (`box` 0-2);
    answered right in box 2 it is mastered."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("partner_id", "quiz_id", "question_id"),
                      Index("ix_review_items_due", "mastered", "due_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    quiz_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(64))
    box: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    mastered: Mapped[bool] = mapped_column(default=False)
    asked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True)
    pack_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(120))
