"""The conversation core: one inbound message in, replies out, one transaction each."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.channels import CHANNELS
from bot.config import Settings
from bot.core import MAX_TEXT, Clock, Inbound, InboundKind, Reply, SystemClock
from bot.core.feature import Router
from bot.core.sanitize import storable_inbound
from bot.ops.metrics import mark_update, observe_update
from bot.storage.db import Database
from bot.storage.faults import StorageUnavailable, is_transient
from bot.storage.repos import PartnerRecord, Repos
from content.loader import PackLibrary
from handlers.kit.context import Context, Services
from handlers.kit.feature import FeatureBase, Startup
from handlers.registry import FEATURES
from scheduler.replies import ReplyMarks, forget_replies, record_replies

# the channels a partner or coach can be named on (`telegram:12345`)
KNOWN_CHANNELS = frozenset(CHANNELS)

log = logging.getLogger(__name__)

FALLBACK_ERROR = {
    "id": "Maaf, ada yang tidak beres di sisi kami 🙏 Coba kirim lagi sebentar lagi ya.",
    "en": "Sorry, something went wrong on our side 🙏 Please try again in a moment.",
}

# pauses between tries of a message while the database is out of reach (about 4 s in all);
# after that the channel leaves the message unacknowledged, to be delivered again
DB_RETRY_PAUSES = (0.1, 0.3, 0.6, 1.0, 2.0)

# the channel whose "user" is whoever types at the terminal: only a named id makes them admin
CONSOLE = "console"


def is_listed_admin(admin_ids: list[str], channel: str, user_id: str) -> bool:
    """Whether COACHBOT_ADMIN_IDS names this user: `telegram:123`, or a bare `123` on a
    messaging platform (never the console, where anyone can type any id)."""
    admins = {a.strip() for a in admin_ids}
    if f"{channel}:{user_id}" in admins:
        return True
    return channel != CONSOLE and user_id in admins


class KeyedLocks:
    """One asyncio lock per key, so one partner's messages are handled in order."""

    def __init__(self, max_idle: int = 10_000):
        self._locks: OrderedDict[str, asyncio.Lock] = OrderedDict()
        self._max_idle = max_idle

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._locks.move_to_end(key)
        async with lock:
            yield
        if len(self._locks) > self._max_idle:
            for k in list(self._locks)[: len(self._locks) - self._max_idle]:
                if not self._locks[k].locked():
                    del self._locks[k]


def build_router(features: tuple[FeatureBase, ...]) -> Router[Context]:
    """Every feature's commands, buttons, states and listeners on one router."""
    router: Router[Context] = Router()
    for feature in features:
        feature.routes(router)
    return router


def prepare(features: tuple[FeatureBase, ...], library: PackLibrary, settings: Settings,
            services: Services) -> None:
    """Lets each feature build what it shares across messages (e.g. an index), once."""
    startup = Startup(library, settings, services)
    for feature in features:
        feature.prepare(startup)


class CoachBot:
    """Serves any channel: turns each Inbound into Replies, with state in the database."""

    def __init__(self, db: Database, library: PackLibrary, settings: Settings,
                 clock: Clock | None = None, services: Services | None = None,
                 features: tuple[FeatureBase, ...] = FEATURES,
                 channels: frozenset[str] = KNOWN_CHANNELS):
        self.db = db
        self.library = library
        self.settings = settings
        self.clock = clock or SystemClock()
        self.features = features
        self.channels = channels
        self.router = build_router(features)
        self.services = services or Services()
        self._locks = KeyedLocks()
        # channels whose replies are written with the turn and settled by the channel
        # (scheduler/replies.py); a crash then loses none of them
        self.durable_replies: set[str] = set()
        self.reply_marks: ReplyMarks | None = None
        if settings.default_pack not in library.packs:
            raise ValueError(f"default pack '{settings.default_pack}' is not loaded "
                             f"(loaded: {', '.join(library.packs) or 'none'})")

    def _lang_hint(self, msg: Inbound) -> str:
        hint = (msg.language_hint or "").lower()
        return "en" if hint.startswith("en") else "id"

    async def handle(self, msg: Inbound) -> list[Reply]:
        """Handles one inbound message; a redelivered update id yields no replies.

        Raises StorageUnavailable when the database stayed out of reach through the retries:
        the message was not processed and must not be acknowledged.
        """
        msg = storable_inbound(msg)
        with observe_update(msg.channel, msg.user_id):
            async with self._locks.hold(f"{msg.channel}:{msg.user_id}"):
                try:
                    return await self._handle(msg)
                except StorageUnavailable:
                    mark_update("error")
                    raise
                except Exception:
                    mark_update("error")
                    log.exception("failed to handle update %s from %s:%s", msg.update_id,
                                  msg.channel, msg.user_id)
                    return [Reply(FALLBACK_ERROR[self._lang_hint(msg)])]

    async def _handle(self, msg: Inbound) -> list[Reply]:
        # A passing database fault (a restart, a failover, refused connections, an idle
        # connection the server dropped): nothing was committed, so the whole message is
        # tried again after a pause; the pool opens fresh connections. This replaces a
        # liveness ping before every transaction. (Were it dropped during COMMIT after the
        # server committed, the retry finds the update id recorded and stays silent.)
        for attempt, pause in enumerate((*DB_RETRY_PAUSES, None)):
            try:
                return await self._handle_once(msg)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if pause is None:
                    raise StorageUnavailable(str(exc)) from exc
                log.warning("database unavailable handling update %s (%s, attempt %d); "
                            "retrying in %.1fs", msg.update_id, type(exc).__name__,
                            attempt + 1, pause)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def _handle_once(self, msg: Inbound) -> list[Reply]:
        taken: list[str] = []
        try:
            return await self._turn(msg, taken)
        except BaseException:
            if taken and self.reply_marks is not None:  # not deleted after all
                self.reply_marks.put_back(taken)
            raise

    async def _turn(self, msg: Inbound, taken: list[str]) -> list[Reply]:
        now = self.clock.now()
        async with self.db.transaction(interactive=True) as session:
            repos = Repos(session)
            # takes the partner's turn (other workers serving this partner wait until this
            # transaction ends), records the update id and loads the partner, stamping
            # last_active_at
            first_time, partner = await repos.partners.arrive(msg.channel, msg.user_id,
                                                              msg.update_id, now)
            if not first_time:
                mark_update("duplicate")
                log.info("duplicate update %s ignored", msg.update_id,
                         extra={"update_id": msg.update_id})
                return []
            if partner is None:
                partner = await repos.partners.create(
                    channel=msg.channel, external_id=msg.user_id, chat_id=msg.chat_id,
                    pack_id=self.settings.default_pack, now=now, language=self._lang_hint(msg))
            self._refresh_identity(partner, msg)
            ctx = Context(partner=partner, repos=repos, library=self.library, clock=self.clock,
                          settings=self.settings, services=self.services, inbound=msg,
                          router=self.router, features=self.features, channels=self.channels)
            problem = self._bad_input(msg)
            replies = [Reply(ctx.t(problem))] if problem else await self.router.dispatch(msg, ctx)
            await repos.partners.save(partner)
            # (a partner who just erased their data leaves no record, not even of the goodbye)
            marks = self.reply_marks
            if marks is not None:  # earlier replies sent since: settled with this commit
                taken += marks.take()
                if (msg.channel in self.durable_replies and msg.update_id is not None
                        and partner.id > 0):
                    await record_replies(session, owner=marks.owner, channel=msg.channel,
                                         chat_id=msg.chat_id, update_id=msg.update_id,
                                         replies=replies, now=now, partner_id=partner.id,
                                         forget=taken)
                else:
                    await forget_replies(session, taken)
        return replies

    def _refresh_identity(self, partner: PartnerRecord, msg: Inbound) -> None:
        if not msg.is_group:
            partner.chat_id = msg.chat_id
        if partner.blocked:  # they wrote to us, so they can be reached again
            partner.blocked = False
        if is_listed_admin(self.settings.admin_ids, msg.channel, msg.user_id):
            partner.role = "admin"

    @staticmethod
    def _bad_input(msg: Inbound) -> str | None:
        if msg.kind is InboundKind.BUTTON:
            return None
        if len(msg.text) > MAX_TEXT:
            return "message_too_long"
        if msg.kind is InboundKind.TEXT and not msg.text.strip() and not msg.attachments:
            return "message_empty"
        return None

    async def notice(self, msg: Inbound, key: str) -> Reply:
        """UI text `key` for the sender of `msg`, in their pack and language when known."""
        lang, pack_id = self._lang_hint(msg), None
        try:
            async with self.db.transaction(interactive=True) as session:
                partner = await Repos(session).partners.get(msg.channel, msg.user_id)
            if partner is not None:
                lang, pack_id = partner.language, partner.pack_id
        except Exception:  # a notice must not fail on a database fault: the hint will do
            log.warning("partner language unavailable for a notice; using the hint")
        return Reply(self.library.t(pack_id, lang, key))
