"""Webinars: announce with RSVP buttons, remind attendees 24 h and 1 h before, follow up
after, move (reminders rescheduled, attendees told) and cancel (reminders cancelled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Reply
from bot.core.timezones import fmt_local
from bot.storage.models import Partner
from content.loader import PackLibrary
from handlers.audience import segments
from handlers.audience.segments import Audience
from handlers.webinars.buttons import RsvpButton
from handlers.webinars.models import Rsvp, Webinar, WebinarRsvp, WebinarStatus
from scheduler.outbox import Item, Outbox, payload_of

REMINDERS: tuple[tuple[str, timedelta], ...] = (("24h", timedelta(hours=24)),
                                                 ("1h", timedelta(hours=1)))
FOLLOWUP_AFTER = timedelta(hours=2)
MAX_TITLE = 200
MAX_LINK = 500


class WebinarError(ValueError):
    """A webinar request that cannot be done; `key` is a UI message key in coach.yaml."""

    def __init__(self, key: str, **kw: object):
        super().__init__(key)
        self.key = key
        self.kw = kw


@dataclass(frozen=True)
class WebinarInfo:
    id: int
    title: str
    starts_at: datetime
    link: str
    description: str | None
    followup: str | None
    audience: str
    timezone: str
    status: str
    revision: int
    created_by: int | None


def _info(w: Webinar) -> WebinarInfo:
    return WebinarInfo(w.id, w.title, w.starts_at, w.link, w.description, w.followup,
                       w.audience, w.timezone, w.status, w.revision, w.created_by)


def plan(starts_at: datetime, now: datetime, followup: bool) -> list[tuple[str, datetime]]:
    """Which reminder rows an attendee gets: those still ahead, plus the follow-up."""
    out = [(label, starts_at - before) for label, before in REMINDERS
           if starts_at - before > now]
    if followup:
        out.append(("fu", starts_at + FOLLOWUP_AFTER))
    return out


def looks_like_link(text: str) -> bool:
    s = text.strip()
    return (s.startswith(("https://", "http://")) and " " not in s and len(s) <= MAX_LINK
            and "." in s)


@dataclass(frozen=True)
class _Who:
    id: int
    channel: str
    chat_id: str
    language: str
    pack_id: str
    timezone: str


def _announcement(library: PackLibrary, w: WebinarInfo, who: segments.Recipient) -> Reply:
    def tr(key: str, **kw: object) -> str:
        return library.t(who.pack_id, who.language, key, **kw)

    desc = f"\n{w.description}" if w.description else ""
    text = tr("webinar_announce", title=w.title, when=fmt_local(w.starts_at, who.timezone),
              description=desc, link=w.link)
    return Reply(text, ((RsvpButton(str(w.id), "y").button(tr("btn_rsvp_yes")),
                         RsvpButton(str(w.id), "n").button(tr("btn_rsvp_no"))),))


class Webinars:
    """Webinars in one unit of work: announce, RSVP, move, cancel; reminders through the outbox."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def _who(self, partner_id: int) -> _Who | None:
        p = await self.s.get(Partner, partner_id)
        return _Who(p.id, p.channel, p.chat_id, p.language, p.pack_id, p.timezone) if p else None

    async def get(self, webinar_id: int) -> WebinarInfo | None:
        w = await self.s.get(Webinar, webinar_id)
        return _info(w) if w else None

    async def upcoming(self, now: datetime, limit: int = 20) -> list[WebinarInfo]:
        rows = (await self.s.execute(
            select(Webinar).where(Webinar.status == WebinarStatus.SCHEDULED.value,
                                  Webinar.starts_at > now)
            .order_by(Webinar.starts_at).limit(limit))).scalars()
        return [_info(w) for w in rows]

    async def invites(self, w: WebinarInfo, partner_id: int) -> bool:
        """Whether the partner was invited, or is in the audience now (joined after the
        announcement went out)."""
        if await Outbox(self.s).exists(f"wa:{w.id}:{partner_id}"):
            return True
        try:
            segment = segments.parse(w.audience)
        except segments.SegmentError:
            return False
        return await Audience(self.s).includes(segment, partner_id)

    async def next_for(self, partner_id: int, now: datetime,
                       limit: int = 3) -> list[tuple[WebinarInfo, Rsvp | None]]:
        """The next webinars the partner is invited to, soonest first, with their answer."""
        out: list[tuple[WebinarInfo, Rsvp | None]] = []
        for w in await self.upcoming(now):
            if len(out) >= limit:
                break
            if await self.invites(w, partner_id):
                answer = (await self.s.execute(select(WebinarRsvp.answer).where(
                    WebinarRsvp.webinar_id == w.id, WebinarRsvp.partner_id == partner_id))
                ).scalar_one_or_none()
                out.append((w, Rsvp(answer) if answer else None))
        return out

    async def create(self, library: PackLibrary, *, title: str,
                     starts_at: datetime, link: str, description: str | None,
                     followup: str | None, audience: str, timezone: str,
                     created_by: int | None, now: datetime,
                     catalog: segments.Catalog | None = None) -> tuple[WebinarInfo, int]:
        """Saves a webinar and announces it to its audience; returns it and how many got it."""
        title = " ".join(title.split())[:MAX_TITLE]
        if not title:
            raise WebinarError("webinar_title_invalid")
        if starts_at <= now:
            raise WebinarError("webinar_time_past")
        if not looks_like_link(link):
            raise WebinarError("webinar_link_invalid")
        segment = segments.parse(audience)
        await Audience(self.s).check(segment, catalog)
        row = Webinar(title=title, starts_at=starts_at, link=link.strip(),
                      description=(description or "").strip() or None,
                      followup=(followup or "").strip() or None, audience=segment.spec,
                      timezone=timezone, status=WebinarStatus.SCHEDULED.value, revision=0,
                      created_by=created_by, created_at=now, updated_at=now)
        self.s.add(row)
        await self.s.flush()
        info = _info(row)
        recipients = await Audience(self.s).resolve(segment, catalog)
        items = [Item(r.channel, r.chat_id, "announcement",
                      payload_of(_announcement(library, info, r)), now,
                      f"wa:{info.id}:{r.partner_id}", r.partner_id) for r in recipients]
        await Outbox(self.s).add_many(items, now)
        return info, len(items)

    async def _schedule_attendee(self, library: PackLibrary, w: WebinarInfo,
                                 who: _Who, now: datetime) -> int:
        def tr(key: str, **kw: object) -> str:
            return library.t(who.pack_id, who.language, key, **kw)

        when = fmt_local(w.starts_at, who.timezone)
        n = 0
        for label, due in plan(w.starts_at, now, bool(w.followup)):
            if label == "fu":
                text = tr("webinar_followup", title=w.title, text=w.followup or "")
            else:
                text = tr(f"webinar_reminder_{label}", title=w.title, when=when, link=w.link)
            n += await Outbox(self.s).add_or_revive(
                channel=who.channel, chat_id=who.chat_id, kind="reminder",
                reply=Reply(text), due_at=due, now=now, partner_id=who.id,
                dedupe_key=f"wr:{w.id}:{who.id}:{w.revision}:{label}")
        return n

    async def rsvp(self, library: PackLibrary, webinar_id: int, partner_id: int,
                   answer: Rsvp, now: datetime) -> WebinarInfo:
        """Records a partner's answer; yes schedules their reminders, no cancels them.

        Raises WebinarError when the webinar is unknown, cancelled or over, or when the partner
        was never invited (a forged button)."""
        w = await self.get(webinar_id)
        if w is None or not await self.invites(w, partner_id):
            raise WebinarError("rsvp_unknown")
        if w.status != WebinarStatus.SCHEDULED.value or w.starts_at <= now:
            raise WebinarError("rsvp_closed", title=w.title)
        who = await self._who(partner_id)
        assert who is not None
        existing = (await self.s.execute(select(WebinarRsvp).where(
            WebinarRsvp.webinar_id == webinar_id, WebinarRsvp.partner_id == partner_id)
        )).scalar_one_or_none()
        if existing is None:
            self.s.add(WebinarRsvp(webinar_id=webinar_id, partner_id=partner_id,
                                    answer=answer.value, updated_at=now))
            await self.s.flush()
        else:
            existing.answer = answer.value
            existing.updated_at = now
        if answer is Rsvp.YES:
            await self._schedule_attendee(library, w, who, now)
        else:
            await Outbox(self.s).cancel_prefix(f"wr:{webinar_id}:{partner_id}:")
        return w

    async def attendees(self, webinar_id: int,
                        answer: Rsvp | None = Rsvp.YES) -> list[tuple[int, str | None, str, str]]:
        """(partner id, name, external id, answer) of everyone who gave `answer` (any: None)."""
        q = (select(Partner.id, Partner.name, Partner.external_id, WebinarRsvp.answer)
             .join(WebinarRsvp, WebinarRsvp.partner_id == Partner.id)
             .where(WebinarRsvp.webinar_id == webinar_id).order_by(Partner.name, Partner.id))
        if answer is not None:
            q = q.where(WebinarRsvp.answer == answer.value)
        return [(pid, name, ext, ans) for pid, name, ext, ans in (await self.s.execute(q)).all()]

    async def _yes_ids(self, webinar_id: int) -> list[int]:
        return list((await self.s.execute(
            select(WebinarRsvp.partner_id).where(WebinarRsvp.webinar_id == webinar_id,
                                                 WebinarRsvp.answer == Rsvp.YES.value)
            .order_by(WebinarRsvp.partner_id))).scalars())

    async def move(self, library: PackLibrary, webinar_id: int,
                   starts_at: datetime, now: datetime) -> tuple[WebinarInfo, int]:
        """Moves a webinar: old reminders cancelled, new ones planned, attendees told."""
        row = await self.s.get(Webinar, webinar_id)
        if row is None:
            raise WebinarError("webinar_unknown")
        if row.status != WebinarStatus.SCHEDULED.value:
            raise WebinarError("webinar_already_cancelled", title=row.title)
        if starts_at <= now:
            raise WebinarError("webinar_time_past")
        await Outbox(self.s).cancel_prefix(f"wr:{webinar_id}:")
        row.starts_at = starts_at
        row.revision += 1
        row.updated_at = now
        await self.s.flush()
        info = _info(row)
        told = 0
        for pid in await self._yes_ids(webinar_id):
            who = await self._who(pid)
            if who is None:
                continue
            await self._schedule_attendee(library, info, who, now)
            # "reminders updated" only when a reminder is still ahead
            key = ("webinar_moved" if plan(info.starts_at, now, followup=False)
                   else "webinar_moved_soon")
            text = library.t(who.pack_id, who.language, key, title=info.title,
                     when=fmt_local(info.starts_at, who.timezone), link=info.link)
            told += await Outbox(self.s).add_or_revive(
                channel=who.channel, chat_id=who.chat_id, kind="announcement",
                reply=Reply(text), due_at=now, now=now, partner_id=pid,
                dedupe_key=f"wm:{webinar_id}:{info.revision}:{pid}")
        return info, told

    async def cancel(self, library: PackLibrary, webinar_id: int,
                     now: datetime) -> tuple[WebinarInfo, int]:
        """Cancels a webinar: unsent announcements and all reminders cancelled, attendees told."""
        row = await self.s.get(Webinar, webinar_id)
        if row is None:
            raise WebinarError("webinar_unknown")
        if row.status != WebinarStatus.SCHEDULED.value:
            raise WebinarError("webinar_already_cancelled", title=row.title)
        row.status = WebinarStatus.CANCELLED.value
        row.updated_at = now
        await Outbox(self.s).cancel_prefix(f"wr:{webinar_id}:")
        await Outbox(self.s).cancel_prefix(f"wa:{webinar_id}:")
        await Outbox(self.s).cancel_prefix(f"wm:{webinar_id}:")
        info = _info(row)
        told = 0
        if info.starts_at > now:
            for pid in await self._yes_ids(webinar_id):
                who = await self._who(pid)
                if who is None:
                    continue
                text = library.t(who.pack_id, who.language, "webinar_cancelled_notice",
                         title=info.title, when=fmt_local(info.starts_at, who.timezone))
                told += await Outbox(self.s).add_or_revive(
                    channel=who.channel, chat_id=who.chat_id, kind="announcement",
                    reply=Reply(text), due_at=now, now=now, partner_id=pid,
                    dedupe_key=f"wx:{webinar_id}:{pid}")
        return info, told
