"""The Telegram driver on python-telegram-bot 22: the Bot API calls through PTB's Bot.

PTB's Updater confirms an update (and its webhook server answers 200) before the update is
processed, so the serving loop is the shared one in runner; this module holds the
client and translates its types and errors.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels.telegram.common import (
    ALLOWED_UPDATES,
    BotApiCalls,
    BotInfo,
    Keyboard,
    PollingConflict,
    TelegramUnavailable,
    TgUpdate,
    TokenRejected,
    attachments_of,
    blocked_or_failed,
)
from bot.core import OutFile, SendResult

log = logging.getLogger(__name__)
T = TypeVar("T")

# opts in to PTB's coming `retry_after: timedelta` (else every 429 warns); _seconds reads both
os.environ.setdefault("PTB_TIMEDELTA", "true")


def _markup(rows: Keyboard | None) -> InlineKeyboardMarkup | None:
    if rows is None:
        return None
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(b.label, callback_data=b.data, url=b.url) for b in row]
        for row in rows])


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _from_message(update_id: int, m: Message) -> TgUpdate:
    user = m.from_user
    return TgUpdate(
        update_id=update_id, chat_id=m.chat.id, chat_type=m.chat.type,
        user_id=user.id if user else None, user_is_bot=bool(user and user.is_bot),
        display_name=user.full_name if user else None,
        language=user.language_code if user else None,
        text=m.text if m.text is not None else m.caption,
        message_id=m.message_id,
        reply_to_message_id=m.reply_to_message.message_id if m.reply_to_message else None,
        attachments=attachments_of(m))


def _from_callback(update_id: int, q: CallbackQuery) -> TgUpdate:
    chat = q.message.chat if q.message is not None else None
    return TgUpdate(
        update_id=update_id, chat_id=chat.id if chat else None,
        chat_type=chat.type if chat else None, user_id=q.from_user.id,
        user_is_bot=q.from_user.is_bot, display_name=q.from_user.full_name,
        language=q.from_user.language_code,
        message_id=q.message.message_id if q.message is not None else None,
        callback_id=q.id, callback_data=q.data)


def to_update(u: Update) -> TgUpdate:
    if u.message is not None:
        return _from_message(u.update_id, u.message)
    if u.callback_query is not None:
        return _from_callback(u.update_id, u.callback_query)
    return TgUpdate(update_id=u.update_id)


def make_bot(token: str, api_base: str | None, pool: int = 64) -> Bot:
    base = (api_base or "https://api.telegram.org").rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
               request=HTTPXRequest(connection_pool_size=pool),
               get_updates_request=HTTPXRequest(connection_pool_size=1))


class PtbDriver(BotApiCalls):
    """Holds a PTB Bot (never subclasses it) and maps its errors to send results."""

    name = "ptb"
    _markup = staticmethod(_markup)

    def _upload(self, file: OutFile) -> InputFile:
        return InputFile(file.data, filename=file.name)

    def __init__(self, token: str, api_base: str | None = None):
        self.api_base = api_base or "https://api.telegram.org"
        self.bot = make_bot(token, api_base)

    async def _call(self, coro: Awaitable[T]) -> T:
        """Runs a non-sending call; errors become the shared exceptions."""
        try:
            return await coro
        except InvalidToken as exc:
            raise TokenRejected(exc.message) from None
        except Conflict as exc:
            raise PollingConflict(exc.message) from None
        except RetryAfter as exc:
            raise TelegramUnavailable(f"flood control, retry after {_seconds(exc)}s") from None
        except BadRequest as exc:
            raise ValueError(f"Telegram refused the call: {exc.message}") from None
        except NetworkError as exc:  # TimedOut too
            raise TelegramUnavailable(exc.message) from None

    async def get_me(self) -> BotInfo:
        await self._call(self.bot.initialize())
        me = await self._call(self.bot.get_me())
        return BotInfo(me.id, me.username or "")

    async def get_updates(self, offset: int | None, wait: int,
                          limit: int) -> list[TgUpdate]:
        updates = await self._call(self.bot.get_updates(
            offset=offset, timeout=wait, limit=limit,
            allowed_updates=list(ALLOWED_UPDATES), read_timeout=10))
        return [to_update(u) for u in updates]

    def parse(self, data: dict[str, Any]) -> TgUpdate:
        update = Update.de_json(data, self.bot)
        if update is None:
            raise ValueError("empty update")
        return to_update(update)

    async def _send(self, call: Awaitable[object]) -> SendResult:
        try:
            res = await call
        except RetryAfter as exc:
            return SendResult.retry(_seconds(exc))
        except Forbidden as exc:
            return SendResult.blocked(exc.message)
        except BadRequest as exc:
            return blocked_or_failed(400, exc.message)
        except TimedOut:
            return SendResult.failed("timeout")
        except NetworkError as exc:
            return SendResult.failed(f"network: {exc.message}")
        except TelegramError as exc:
            return SendResult.failed(exc.message)
        ref = str(res.message_id) if isinstance(res, Message) else None
        return SendResult.ok(ref)

    async def close(self) -> None:
        await self.bot.shutdown()
