"""The Telegram driver on aiogram 3: the Bot API calls, through aiogram's Bot and types.

The serving loop (polling that confirms an offset only after processing, and a webhook that
answers only after processing) is shared and lives in runner; this module holds the
client and translates its types and errors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    GetUpdates,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetWebhook,
)
from aiogram.methods.base import Response
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.utils.token import TokenValidationError

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

_STATUS = {"TelegramBadRequest": 400, "TelegramUnauthorizedError": 401,
           "TelegramForbiddenError": 403, "TelegramNotFound": 404,
           "TelegramConflictError": 409, "TelegramEntityTooLarge": 413}

# aiogram reads every answer through `Response[<method's result type>]`; pydantic keeps such
# parametrised models only in a weak cache and they live in reference cycles, so each full
# garbage collection threw them away and the next call rebuilt the model and its validator
# (~15 ms, about 4% of the bot's CPU under load). Holding them keeps the cache hit.
_RESPONSE_MODELS = tuple(
    Response[m.__returning__]  # type: ignore[name-defined]
    for m in (GetMe, GetUpdates, SendMessage, SendPhoto, EditMessageText,
              EditMessageReplyMarkup, AnswerCallbackQuery, SetWebhook, DeleteWebhook,
              SendDocument))


def _markup(rows: Keyboard | None) -> InlineKeyboardMarkup | None:
    if rows is None:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b.label, callback_data=b.data, url=b.url) for b in row]
        for row in rows])


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


class AiogramDriver(BotApiCalls):
    """Holds an aiogram Bot (never subclasses it) and maps its errors to send results."""

    name = "aiogram"
    _markup = staticmethod(_markup)

    def _upload(self, file: OutFile) -> BufferedInputFile:
        return BufferedInputFile(file.data, filename=file.name)

    def __init__(self, token: str, api_base: str | None = None):
        server = TelegramAPIServer.from_base(api_base) if api_base else PRODUCTION
        self.api_base = api_base or "https://api.telegram.org"
        try:
            self.bot = Bot(token, session=AiohttpSession(api=server))
        except TokenValidationError:
            raise TokenRejected("the token is not in the form <bot id>:<secret>") from None

    async def _call(self, coro: Awaitable[T]) -> T:
        """Runs a non-sending call; errors become the shared exceptions."""
        try:
            return await coro
        except (TelegramUnauthorizedError, TelegramNotFound) as exc:
            raise TokenRejected(exc.message) from None
        except TelegramConflictError as exc:
            raise PollingConflict(exc.message) from None
        except TelegramRetryAfter as exc:
            raise TelegramUnavailable(f"flood control, retry after {exc.retry_after}s") from None
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TelegramUnavailable(exc.message) from None
        except TelegramAPIError as exc:
            raise ValueError(f"Telegram refused the call: {exc.message}") from None

    async def get_me(self) -> BotInfo:
        me = await self._call(self.bot.get_me())
        return BotInfo(me.id, me.username or "")

    async def get_updates(self, offset: int | None, wait: int,
                          limit: int) -> list[TgUpdate]:
        updates = await self._call(self.bot.get_updates(
            offset=offset, timeout=wait, limit=limit, allowed_updates=list(ALLOWED_UPDATES),
            request_timeout=wait + 10))
        return [to_update(u) for u in updates]

    def parse(self, data: dict[str, Any]) -> TgUpdate:
        return to_update(Update.model_validate(data, context={"bot": self.bot}))

    async def _send(self, call: Awaitable[object]) -> SendResult:
        try:
            res = await call
        except TelegramRetryAfter as exc:
            return SendResult.retry(float(exc.retry_after))
        except TelegramNetworkError as exc:
            return SendResult.failed(f"network: {exc.message}")
        except TelegramAPIError as exc:
            return blocked_or_failed(_STATUS.get(type(exc).__name__), exc.message)
        except TimeoutError:
            return SendResult.failed("timeout")
        ref = str(res.message_id) if isinstance(res, Message) else None
        return SendResult.ok(ref)

    async def close(self) -> None:
        await self.bot.session.close()
