"""Core tables: partners, cohorts, processed updates and the outbox. Features keep their own
tables in their own `models.py`."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class Role(enum.StrEnum):
    PARTNER = "partner"
    COACH = "coach"
    ADMIN = "admin"


class Cohort(Base):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    pack_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Partner(Base):
    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("channel", "external_id"),
                      # the nudge planner's per-rule candidate queries (scheduler/planner.py)
                      Index("ix_partners_state_active", "state", "last_active_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="id")
    background: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    role: Mapped[str] = mapped_column(String(16), default=Role.PARTNER.value)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    pack_id: Mapped[str] = mapped_column(String(64))
    # where the partner is: a state named by the feature that holds them (stored by name)
    state: Mapped[str] = mapped_column(String(32), default="new")
    module_id: Mapped[str | None] = mapped_column(String(64))
    step_id: Mapped[str | None] = mapped_column(String(64))
    quiz_attempt_id: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[str | None] = mapped_column(String(64))
    onboarded_at: Mapped[datetime | None]
    opted_out: Mapped[bool] = mapped_column(default=False)
    blocked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    last_active_at: Mapped[datetime] = mapped_column(index=True)


class PartnerIdentity(Base):
    """A channel identity joined to a partner with /link (issue 17): a message from it is
    served as that partner. The partner's own (channel, external_id, chat_id) is always the
    identity they used last, so everything the bot sends on its own reaches them there."""

    __tablename__ = "partner_identities"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class LinkCode(Base):
    """A one-time code from /link, sent back from the partner's other channel."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]


class ReplyInFlight(Base):
    """A reply written with its turn and not yet done with by the channel (scheduler/
    replies.py). A table of its own: a turn pays for one index here, not the outbox's six;
    a reply whose process died is moved to the outbox and sent from there."""

    __tablename__ = "replies_in_flight"
    # SQLite: the key is the table (no rowid beside it), so a turn's insert and the delete of
    # the replies before it touch one B-tree
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 (SQLAlchemy reads it)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # the process sending it inline (ReplySender); its replies are left to it while it lives
    owner: Mapped[str] = mapped_column(String(32))
    # no index: the table holds the replies of the last moments only
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class ReplySender(Base):
    """A process sending replies inline, last seen alive at `seen_at`."""

    __tablename__ = "reply_senders"

    owner: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime]


class WebhookArrival(Base):
    """A webhook delivery seen by a web worker, so workers behind a balancer handle each
    chat's updates in update-id order (bot/channels/telegram/shared_order.py)."""

    __tablename__ = "webhook_arrivals"
    __table_args__ = (Index("ix_webhook_arrivals_chat", "bot_id", "chat_key", "update_id"),)

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_key: Mapped[str] = mapped_column(String(64))
    arrived_at: Mapped[datetime]
    done: Mapped[bool] = mapped_column(default=False)


class ProcessedUpdate(Base):
    """Platform update ids already handled, so a redelivered update is processed once."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SendRate(Base):
    """The next free send slot of the deployment's one send rate (scheduler/rate.py), shared
    by every dispatcher process on PostgreSQL: seconds since the epoch on the database's
    clock."""

    __tablename__ = "send_rate"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Float)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboxMessage(Base):
    """Everything the bot sends on its own initiative is first a row here."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # the platform's id of the sent message, so a coach's reply to it can be traced back
    message_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    # a nudge's verdict, so the planner re-judges it only when something changed: the
    # partner's last activity it was judged with, and when its reason expires (none: never)
    seen_active: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]


class NudgeQuiet(Base):
    """A partner the nudge planner judged and planned nothing for: nothing comes due before
    `until` (None: nothing ahead) while their last activity stays `seen_active`."""

    __tablename__ = "nudge_quiet"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    seen_active: Mapped[datetime]
    until: Mapped[datetime | None]


class WhatsAppChat(Base):
    """A WhatsApp number the bot talks with: when its 24-hour window opened, whether it may
    be written to, and the numbered menu a bare number answers."""

    __tablename__ = "whatsapp_chats"

    wa_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_inbound_at: Mapped[datetime | None]
    # how consent was given: "wrote_first" or "roster"; None: none recorded
    opt_in: Mapped[str | None] = mapped_column(String(16))
    # button payloads of the last numbered-text menu, in the order shown
    menu: Mapped[list[str] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class WhatsAppStatus(Base):
    """What WhatsApp reported about one sent message (sent, delivered, read, failed)."""

    __tablename__ = "whatsapp_statuses"

    wamid: Mapped[str] = mapped_column(String(128), primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]
