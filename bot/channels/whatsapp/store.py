"""What the WhatsApp channel keeps in the database: each chat's 24-hour window, consent and
numbered menu, and the statuses WhatsApp reports for sent messages. A repository: it takes
the session and never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import OutboxMessage, OutboxStatus, Partner, WhatsAppChat, WhatsAppStatus
from bot.storage.repos import insert_once
from scheduler.outbox import WAITING

CHANNEL = "whatsapp"
# later statuses never step back to earlier ones (a late "delivered" after "read")
_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(frozen=True, slots=True)
class ChatView:
    """A chat as sending needs it: the window, the menu, and who is on the other end."""

    wa_id: str
    last_inbound_at: datetime | None
    menu: list[str] | None
    language: str
    pack_id: str | None
    name: str | None
    opt_in: str | None


class WhatsAppStore:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def arrived(self, wa_id: str, at: datetime, now: datetime) -> list[str] | None:
        """A user wrote (opening the window and recording consent); returns the numbered
        menu their message may answer."""
        if await insert_once(self.s, WhatsAppChat, wa_id=wa_id, last_inbound_at=at,
                             opt_in="wrote_first", menu=None, updated_at=now):
            return None
        row = await self.s.get(WhatsAppChat, wa_id, with_for_update=False)
        assert row is not None
        if row.last_inbound_at is None or row.last_inbound_at < at:
            row.last_inbound_at = at
        row.opt_in = row.opt_in or "wrote_first"
        row.updated_at = now
        menu = list(row.menu) if row.menu else None
        await self.s.flush()
        return menu

    async def view(self, wa_id: str) -> ChatView:
        return (await self.views([wa_id]))[wa_id]

    async def views(self, wa_ids: list[str]) -> dict[str, ChatView]:
        """The chats of several numbers in one query (a broadcast sends to many at once);
        a number that never wrote has no window."""
        rows = (await self.s.execute(
            select(Partner.external_id, WhatsAppChat.wa_id, WhatsAppChat.last_inbound_at,
                   WhatsAppChat.menu, WhatsAppChat.opt_in, Partner.language, Partner.pack_id,
                   Partner.name)
            .select_from(Partner)
            .outerjoin(WhatsAppChat, WhatsAppChat.wa_id == Partner.external_id)
            .where(Partner.channel == CHANNEL, Partner.external_id.in_(wa_ids)))).all()
        found = {r[0]: ChatView(r[0], r[2], list(r[3]) if r[3] else None, r[5] or "id", r[6],
                                r[7], r[4]) for r in rows}
        missing = [w for w in wa_ids if w not in found]
        if missing:  # a number with no partner record yet (a coach's chat, a test)
            for wa_id, last, menu, opt_in in (await self.s.execute(
                    select(WhatsAppChat.wa_id, WhatsAppChat.last_inbound_at, WhatsAppChat.menu,
                           WhatsAppChat.opt_in).where(WhatsAppChat.wa_id.in_(missing)))).all():
                found[wa_id] = ChatView(wa_id, last, list(menu) if menu else None, "id", None,
                                        None, opt_in)
        return {w: found.get(w) or ChatView(w, None, None, "id", None, None, None)
                for w in wa_ids}

    async def set_menu(self, wa_id: str, menu: list[str] | None, now: datetime) -> None:
        await self.s.execute(update(WhatsAppChat).where(WhatsAppChat.wa_id == wa_id)
                             .values(menu=menu, updated_at=now))

    async def release_waiting(self, wa_id: str, now: datetime) -> int:
        """The window is open again: rows that waited for it are due now."""
        result = await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == CHANNEL, OutboxMessage.chat_id == wa_id,
                   OutboxMessage.status == OutboxStatus.PENDING.value,
                   OutboxMessage.last_error.like(f"{WAITING}%"))
            .values(due_at=now, last_error=None)
            .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def settle(self, row_id: int, wamid: str, now: datetime) -> bool:
        """WhatsApp accepted outbox row `row_id` as `wamid` (its status report named the row):
        a row still in flight, or put back after its worker died, is sent, never sent again.
        True when this report settled it."""
        result = await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.channel == CHANNEL,
                   OutboxMessage.status.in_((OutboxStatus.SENDING.value,
                                             OutboxStatus.PENDING.value)))
            .values(status=OutboxStatus.SENT.value, sent_at=now, message_ref=wamid,
                    last_error=None)
            .execution_options(synchronize_session=False))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_status(self, wamid: str, recipient: str, status: str,
                            error_code: int | None, now: datetime,
                            row_id: int | None = None) -> int | None:
        """Records a message's status against its outbox row (`row_id` when the report named
        it, else found by the message id; None: not an outbox message, e.g. a direct reply);
        returns that row's id."""
        which = (OutboxMessage.id == row_id if row_id is not None  # it may be deleted
                 else OutboxMessage.message_ref == wamid)
        outbox_id = (await self.s.execute(
            select(OutboxMessage.id).where(OutboxMessage.channel == CHANNEL, which)
            .order_by(OutboxMessage.id.desc()).limit(1))).scalar_one_or_none()
        if not await insert_once(self.s, WhatsAppStatus, wamid=wamid, outbox_id=outbox_id,
                                 recipient=recipient, status=status, error_code=error_code,
                                 updated_at=now):
            row = await self.s.get(WhatsAppStatus, wamid)
            assert row is not None
            if _RANK.get(status, 0) > _RANK.get(row.status, 0):
                row.status, row.error_code, row.updated_at = status, error_code, now
                await self.s.flush()
        return outbox_id

    async def status(self, wamid: str) -> tuple[str, int | None, int | None] | None:
        """(status, error code, outbox row id) of a sent message."""
        row = await self.s.get(WhatsAppStatus, wamid)
        return (row.status, row.error_code, row.outbox_id) if row else None

    async def unreachable(self, wa_id: str) -> None:
        """WhatsApp cannot deliver to this number: nothing more is tried until they write."""
        await self.s.execute(update(Partner).where(Partner.channel == CHANNEL,
                                                   Partner.chat_id == wa_id)
                             .values(blocked=True).execution_options(synchronize_session=False))
