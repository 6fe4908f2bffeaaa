"""Coach and admin roles: admins (from COACHBOT_ADMIN_IDS) make coaches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.storage.models import Partner, Role
from bot.storage.repos import PartnerRecord, Repos

CHANNELS = ("telegram", "console", "whatsapp")


def parse_who(raw: str, default_channel: str) -> tuple[str, str] | None:
    """`12345` or `telegram:12345` -> (channel, external id); None when unusable."""
    raw = (raw or "").strip().lstrip("@")
    channel, sep, ext = raw.partition(":")
    if not sep:
        channel, ext = default_channel, raw
    channel = channel.lower()
    if channel not in CHANNELS or not ext or len(ext) > 64 or any(c.isspace() for c in ext):
        return None
    return channel, ext


async def set_role(repos: Repos, *, channel: str, external_id: str, role: Role, pack_id: str,
                   now: datetime, name: str | None = None) -> tuple[PartnerRecord, bool]:
    """Gives someone a role, creating their record if they never wrote to the bot yet (their
    private chat id is their user id on Telegram and the console); True when created."""
    rec = await repos.partners.get(channel, external_id)
    created = rec is None
    if rec is None:
        rec = await repos.partners.create(channel=channel, external_id=external_id,
                                          chat_id=external_id, pack_id=pack_id, now=now,
                                          role=role.value, name=name)
        return rec, True
    if rec.role == Role.ADMIN.value and role is not Role.ADMIN:
        return rec, created  # admins come from the configuration and stay admins
    rec.role = role.value
    if name and not rec.name:
        rec.name = name
    await repos.partners.save(rec)
    return rec, created


async def coaches(repos: Repos) -> list[tuple[str, str, str | None, str]]:
    """(channel, external id, name, role) of every coach and admin."""
    rows = await repos.session.execute(
        select(Partner.channel, Partner.external_id, Partner.name, Partner.role)
        .where(Partner.role.in_([Role.COACH.value, Role.ADMIN.value]))
        .order_by(Partner.role, Partner.name, Partner.id))
    return [(c, e, n, r) for c, e, n, r in rows.all()]
