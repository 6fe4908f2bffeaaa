"""The FAQ question log: every question the engine saw, what it matched, whether it helped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class FaqQuestion(Base):
    """Every question the FAQ engine saw, what it matched, and whether that helped."""

    __tablename__ = "faq_questions"
    __table_args__ = (Index("ix_faq_questions_pack_created", "pack_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    pack_id: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    # the entries offered as buttons (middle band), in order
    offered: Mapped[list[str]] = mapped_column(JSON, default=list)
    chosen_entry_id: Mapped[str | None] = mapped_column(String(64))
    helped: Mapped[bool | None]
    created_at: Mapped[datetime]
    feedback_at: Mapped[datetime | None]


class FaqTaught(Base):
    """What coaches taught the FAQ from the chat or the CLI: a new entry (with an answer) or
    one more wording of an entry (no answer). The index reads these at its next build."""

    __tablename__ = "faq_taught"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(64), index=True)
    entry_id: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)
    answer_id: Mapped[str | None] = mapped_column(Text)
    answer_en: Mapped[str | None] = mapped_column(Text)
    # the ticket it came from: a ticket is taught once
    ticket_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
