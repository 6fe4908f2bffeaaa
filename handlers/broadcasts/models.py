"""Broadcasts: one message to a segment of partners, sent by the dispatcher."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


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
