"""What both Telegram adapters share, with no messaging library in it.

Rendering our Markdown subset to Telegram HTML, splitting long texts, keyboard layout, the
library-neutral view of an update, and `TelegramChannel`: the translation between the core
(`Inbound` / `Reply`) and a driver (aiogram or python-telegram-bot) that makes the API calls.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.channels.delivery import Defer, Delivery, Settle
from bot.channels.markdown import groups
from bot.core import Attachment, Inbound, OutFile, Reply, SendResult, SendStatus

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_MESSAGE = 4096  # characters after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_ROW = 8  # buttons Telegram shows side by side
ALLOWED_UPDATES = ("message", "callback_query")

# Said by the adapter itself in groups other than the coaches' chat (no partner exists there).
GROUP_POINTER = {
    "id": "Halo! Aku coach digital dan ngobrolnya lewat chat pribadi ya 🙂 "
          "Ketuk tombol di bawah untuk mulai.",
    "en": "Hi! I'm a digital coach and I chat in private 🙂 Tap the button below to start.",
}
GROUP_POINTER_BUTTON = {"id": "Buka chat pribadi", "en": "Open a private chat"}


# --- text ------------------------------------------------------------------------------------

def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def to_html(markdown: str) -> str:
    """Renders our Markdown subset (`*bold*`, `_italic_`) as Telegram HTML.

    Everything else is escaped, so any user text (a name like `*_[`\\``) is shown as typed.
    """
    out: list[str] = []
    for group in groups(markdown):
        inner = "".join(f"<code>{_escape(s.text)}</code>" if s.code else
                        f"<i>{_escape(s.text)}</i>" if s.italic else _escape(s.text)
                        for s in group)
        out.append(f"<b>{inner}</b>" if group[0].bold else inner)
    return "".join(out)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _cut(text: str, limit: int) -> tuple[str, str]:
    """Cuts `text` at the last paragraph, line or word break that fits; else hard."""
    # find the longest prefix within `limit` UTF-16 units
    n = min(len(text), limit)
    while n > 0 and utf16_len(text[:n]) > limit:
        n -= 1
    head = text[:n]
    for sep in ("\n\n", "\n", " "):
        i = head.rfind(sep)
        if i > 0:
            return text[:i], text[i + len(sep):]
    if n == 0:  # a limit below one character: take one anyway
        n = 1
    return text[:n], text[n:]


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Splits a long text into parts within `limit`, on paragraph boundaries where possible.

    Measured on the Markdown source, which is never shorter than what Telegram counts.
    """
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        head, rest = _cut(rest, limit)
        head, rest = head.strip(), rest.strip()
        if head:
            parts.append(head)
    if rest or not parts:
        parts.append(rest)
    return parts


# --- keyboards -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class KeyButton:
    label: str
    data: str | None = None
    url: str | None = None


Keyboard = list[list[KeyButton]]


def keyboard(reply: Reply) -> Keyboard | None:
    """The reply's button rows as an inline keyboard; rows wider than Telegram shows wrap."""
    rows: Keyboard = []
    for row in reply.buttons:
        buttons = [KeyButton(b.label, data=b.payload) for b in row]
        for i in range(0, len(buttons), MAX_ROW):
            rows.append(buttons[i:i + MAX_ROW])
    return rows or None


# --- updates ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TgUpdate:
    """The parts of a Telegram update the bot uses, read out by a driver."""

    update_id: int
    chat_id: int | None = None
    chat_type: str | None = None  # private, group, supergroup, channel
    user_id: int | None = None
    user_is_bot: bool = False
    display_name: str | None = None
    language: str | None = None
    text: str | None = None  # message text or caption; None for other content
    message_id: int | None = None
    reply_to_message_id: int | None = None
    callback_id: str | None = None
    callback_data: str | None = None
    attachments: tuple[Attachment, ...] = ()

    @property
    def chat_key(self) -> str:
        """Updates with the same key must be handled in order."""
        return f"{self.chat_id}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class GroupPointer:
    """A command in a group that is not the coaches' chat: point to a private chat."""

    chat_id: str
    language: str


def _command_target(text: str) -> tuple[bool, str | None]:
    """Whether text is a /command, and the bot it names (`/start@some_bot`)."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return False, None
    head = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    _, at, target = head.partition("@")
    return True, (target if at else None)


def route(tg: TgUpdate, bot_username: str,
          coach_chat_id: str | None) -> Inbound | GroupPointer | None:
    """Decides what an update means to the core: an Inbound, a group pointer, or nothing."""
    if tg.user_id is None or tg.chat_id is None or tg.user_is_bot:
        return None
    if tg.chat_type not in ("private", "group", "supergroup"):
        return None
    is_group = tg.chat_type != "private"
    coach_chat = coach_chat_id is not None and str(tg.chat_id) == str(coach_chat_id).strip()
    text = tg.text
    is_command, target = _command_target(text or "")
    addressed = target is None or target.lower() == bot_username.lower()
    if is_group and not coach_chat:
        if tg.callback_id is None and is_command and addressed:
            return GroupPointer(str(tg.chat_id), _lang(tg.language))
        return None
    if is_command and not addressed:
        return None  # a command for another bot in the coaches' chat
    if coach_chat and tg.callback_id is None and text is None:
        return None  # stickers and photos between coaches are not for the bot
    common: dict[str, object] = {
        "chat_id": str(tg.chat_id), "update_id": str(tg.update_id),
        "language_hint": tg.language, "display_name": tg.display_name,
        "message_ref": str(tg.message_id) if tg.message_id is not None else None,
        "is_group": is_group,
    }
    if tg.callback_id is not None:
        return Inbound.button(CHANNEL, str(tg.user_id), tg.callback_data or "", **common)
    reply_to = str(tg.reply_to_message_id) if tg.reply_to_message_id is not None else None
    # non-text content arrives as empty text: the core answers it kindly
    return Inbound.from_text(CHANNEL, str(tg.user_id), text or "", reply_to_ref=reply_to,
                             attachments=tg.attachments, **common)


def photo_attachment(sizes: list[Any]) -> Attachment | None:
    """The largest size of a Telegram photo (the list of its sizes), by its file id."""
    if not sizes:
        return None
    best = max(sizes, key=lambda p: (p.width or 0) * (p.height or 0))
    return Attachment("photo", best.file_id, "", "image/jpeg", best.file_size or 0)


def document_attachment(doc: Any) -> Attachment | None:
    if doc is None:
        return None
    return Attachment("document", doc.file_id, doc.file_name or "", doc.mime_type or "",
                      doc.file_size or 0)


def attachments_of(message: Any) -> tuple[Attachment, ...]:
    """A message's photo and document, read the same way from both libraries' types."""
    found = (photo_attachment(list(message.photo or [])),
             document_attachment(message.document))
    return tuple(a for a in found if a is not None)


def _lang(code: str | None) -> str:
    return "en" if (code or "").lower().startswith("en") else "id"


# --- errors a driver raises outside of sending -----------------------------------------------

class TelegramUnavailable(Exception):
    """The Bot API could not be reached or answered with a server error; try again later."""


class TokenRejected(Exception):
    """The Bot API refused the token (401/404)."""


class PollingConflict(Exception):
    """Another getUpdates or an active webhook (409)."""


@dataclass(frozen=True, slots=True)
class BotInfo:
    id: int
    username: str


class Driver(Protocol):
    """The Bot API calls a Telegram adapter makes, through one client library."""

    name: str
    api_base: str

    async def get_me(self) -> BotInfo: ...

    async def get_updates(self, offset: int | None, wait: int,
                          limit: int) -> list[TgUpdate]: ...

    def parse(self, data: dict[str, object]) -> TgUpdate: ...

    # paid: Telegram's paid broadcast (allow_paid_broadcast: up to 1,000 messages/s, Stars)
    async def send_message(self, chat_id: str, html_text: str,
                           markup: Keyboard | None, *, paid: bool = False) -> SendResult: ...

    async def send_photo(self, chat_id: str, photo: str, caption_html: str | None,
                         markup: Keyboard | None, *, paid: bool = False) -> SendResult: ...

    async def edit_message(self, chat_id: str, message_id: str, html_text: str,
                           markup: Keyboard | None) -> SendResult: ...

    async def send_file(self, chat_id: str, file: OutFile,
                        caption_html: str | None, *, paid: bool = False) -> SendResult: ...

    async def edit_markup(self, chat_id: str, message_id: str,
                          markup: Keyboard | None) -> SendResult: ...

    async def answer_callback(self, callback_id: str) -> SendResult: ...

    async def set_webhook(self, url: str, secret: str) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def close(self) -> None: ...


class BotApiCalls:
    """The Bot API calls both drivers make the same way: aiogram and PTB name methods and
    arguments after the Bot API, so only the client, its keyboard type and its error mapping
    (`_send`, `_call`, `_markup`) differ per driver."""

    bot: Any

    async def _send(self, call: Awaitable[object]) -> SendResult:
        raise NotImplementedError

    async def _call(self, coro: Awaitable[Any]) -> Any:
        raise NotImplementedError

    def _markup(self, rows: Keyboard | None) -> Any:
        raise NotImplementedError

    def _upload(self, file: OutFile) -> Any:
        """The library's input file for bytes to upload."""
        raise NotImplementedError

    async def send_file(self, chat_id: str, file: OutFile,
                        caption_html: str | None, *, paid: bool = False) -> SendResult:
        """A PNG goes as a photo (seen at once in chat), anything else as a document."""
        mode = "HTML" if caption_html else None
        if file.mime == "image/png":
            return await self._send(self.bot.send_photo(
                chat_id=chat_id, photo=self._upload(file), caption=caption_html,
                parse_mode=mode, allow_paid_broadcast=_paid(paid)))
        return await self._send(self.bot.send_document(
            chat_id=chat_id, document=self._upload(file), caption=caption_html,
            parse_mode=mode, allow_paid_broadcast=_paid(paid)))

    async def send_message(self, chat_id: str, html_text: str,
                           markup: Keyboard | None, *, paid: bool = False) -> SendResult:
        return await self._send(self.bot.send_message(
            chat_id=chat_id, text=html_text, parse_mode="HTML",
            reply_markup=self._markup(markup), allow_paid_broadcast=_paid(paid)))

    async def send_photo(self, chat_id: str, photo: str, caption_html: str | None,
                         markup: Keyboard | None, *, paid: bool = False) -> SendResult:
        return await self._send(self.bot.send_photo(
            chat_id=chat_id, photo=photo, caption=caption_html,
            parse_mode="HTML" if caption_html else None, reply_markup=self._markup(markup),
            allow_paid_broadcast=_paid(paid)))

    async def edit_message(self, chat_id: str, message_id: str, html_text: str,
                           markup: Keyboard | None) -> SendResult:
        return await self._send(self.bot.edit_message_text(
            chat_id=chat_id, message_id=int(message_id), text=html_text, parse_mode="HTML",
            reply_markup=self._markup(markup)))

    async def edit_markup(self, chat_id: str, message_id: str,
                          markup: Keyboard | None) -> SendResult:
        return await self._send(self.bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=int(message_id), reply_markup=self._markup(markup)))

    async def answer_callback(self, callback_id: str) -> SendResult:
        return await self._send(self.bot.answer_callback_query(callback_id))

    async def set_webhook(self, url: str, secret: str) -> None:
        await self._call(self.bot.set_webhook(url=url, secret_token=secret,
                                              allowed_updates=list(ALLOWED_UPDATES)))

    async def delete_webhook(self) -> None:
        await self._call(self.bot.delete_webhook(drop_pending_updates=False))


def _paid(paid: bool) -> bool | None:
    """The parameter as both libraries take it: None leaves it out of the request."""
    return True if paid else None


def blocked_or_failed(status: int | None, description: str) -> SendResult:
    """Maps a non-429 API error: 403 means the partner cannot be reached."""
    if status == 403:
        return SendResult.blocked(description)
    return SendResult.failed(description)


# --- the adapter -----------------------------------------------------------------------------

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
# the sending of one processed update's replies
Deliver = Callable[[], Awaitable[None]]


class TelegramChannel:
    """Translates between the core and Telegram; the driver makes the calls."""

    name = CHANNEL

    def __init__(self, driver: Driver, *, coach_chat_id: str | None = None,
                 inline_retry_max: float = 2.0, defer: Defer | None = None,
                 settle: Settle | None = None, paid_kinds: frozenset[str] = frozenset()):
        self.driver = driver
        self.coach_chat_id = coach_chat_id
        # outbox kinds sent as paid broadcasts (COACHBOT_TELEGRAM_PAID_BROADCAST)
        self.paid_kinds = paid_kinds
        # "tg": the dedupe-key prefix of replies deferred to the outbox, as it always was
        self.delivery = Delivery(self, inline_retry_max=inline_retry_max, defer=defer,
                                 key_prefix="tg", settle=settle)
        self.me: BotInfo | None = None

    async def start(self) -> BotInfo:
        self.me = await self.driver.get_me()
        return self.me

    # OutboundChannel
    async def send(self, chat_id: str, reply: Reply, *, paid: bool = False) -> SendResult:
        """Sends one reply (split when long); the ref is the last message's id."""
        parts = split_text(reply.text)
        markup = keyboard(reply)
        result = SendResult.ok()
        for file in reply.files:  # the files first, the text (and its buttons) under them
            result = await self.driver.send_file(chat_id, file, None, paid=paid)
            if result.status is not SendStatus.OK:
                return result
        if reply.files and not reply.text.strip():
            return result
        if reply.image:
            caption = parts[0] if len(parts) == 1 and utf16_len(parts[0]) <= MAX_CAPTION else None
            result = await self.driver.send_photo(
                chat_id, reply.image, to_html(caption) if caption else None,
                markup if caption is not None else None, paid=paid)
            if result.status is not SendStatus.OK or caption is not None:
                return result
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            result = await self.driver.send_message(chat_id, to_html(part),
                                                    markup if last else None, paid=paid)
            if result.status is not SendStatus.OK:
                return result
        return result

    async def send_kind(self, chat_id: str, reply: Reply, kind: str | None) -> SendResult:
        """An outbox row: broadcasts go as paid broadcasts when the deployment pays for them."""
        return await self.send(chat_id, reply, paid=kind in self.paid_kinds)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        """Replaces a message's text and buttons; long texts or images are sent anew."""
        if reply.image or reply.files or utf16_len(reply.text.strip()) > MAX_MESSAGE:
            return await self.send(chat_id, reply)
        result = await self.driver.edit_message(chat_id, message_id, to_html(reply.text),
                                                keyboard(reply))
        if result.status is SendStatus.FAILED:
            log.info("edit of %s/%s failed (%s); sending instead", chat_id, message_id,
                     result.reason)
            return await self.send(chat_id, reply)
        return result

    async def clear_buttons(self, chat_id: str, message_id: str) -> SendResult:
        """Removes a message's inline keyboard."""
        return await self.driver.edit_markup(chat_id, message_id, None)

    async def process(self, tg: TgUpdate, handle: Handle) -> None:
        """Handles one update end to end: answer the button, run the core, send replies."""
        deliver = await self.receive(tg, handle)
        await deliver()

    async def receive(self, tg: TgUpdate, handle: Handle) -> Deliver:
        """Runs the core on one update and returns the sending of its replies.

        Once this returns, the update is processed (its transaction committed): the caller
        may confirm it to Telegram and send the replies in the chat's order while the next
        update is already being handled. Raises when the core could not process it.
        """
        assert self.me is not None, "start() first"
        answered: asyncio.Task[SendResult] | None = None
        if tg.callback_id is not None:
            # stops the button's spinner while the core works
            answered = asyncio.create_task(self.driver.answer_callback(tg.callback_id))
        decision: Inbound | GroupPointer | None = None
        replies: list[Reply] = []
        try:
            decision = route(tg, self.me.username, self.coach_chat_id)
            if isinstance(decision, Inbound):
                # update ids are per bot: a new bot's sequence starts again, so the dedupe key
                # names the bot too
                decision = dataclasses.replace(decision,
                                               update_id=f"{self.me.id}:{tg.update_id}")
                replies = await handle(decision)
        except BaseException:
            if answered is not None:
                answered.cancel()
            raise

        async def deliver() -> None:
            try:
                if isinstance(decision, GroupPointer):
                    await self._point_to_private(decision)
                elif isinstance(decision, Inbound):
                    await self.delivery.deliver(decision, replies)
            finally:
                if answered is not None:
                    res = await answered
                    if res.status is not SendStatus.OK:
                        log.warning("answerCallbackQuery for update %s: %s", tg.update_id,
                                    res.reason or res.status)

        return deliver

    async def _point_to_private(self, pointer: GroupPointer) -> None:
        assert self.me is not None
        link = f"https://t.me/{self.me.username}"
        markup = [[KeyButton(GROUP_POINTER_BUTTON[pointer.language], url=link)]]
        res = await self.driver.send_message(pointer.chat_id,
                                             html.escape(GROUP_POINTER[pointer.language]),
                                             markup)
        if res.status is not SendStatus.OK:
            log.warning("group pointer to %s: %s", pointer.chat_id, res.reason or res.status)
