"""Tickets: a partner's question handed to the coaches, and its thread."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class CoachTicket(Base):
    """A partner's question handed to the coaches; answered from the coaches' chat."""

    __tablename__ = "coach_tickets"
    __table_args__ = (Index("ix_coach_tickets_partner_status", "partner_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("faq_questions.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.OPEN.value)
    # while True the partner's free text goes to this ticket, not to the FAQ engine
    thread_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answer_seconds: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))


class TicketMessage(Base):
    """One message in a ticket's thread, from the partner or a coach."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("coach_tickets.id", ondelete="CASCADE"),
                                           index=True)
    author: Mapped[str] = mapped_column(String(16))
    author_name: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
