"""Coach and admin roles: admins (from COACHBOT_ADMIN_IDS) make coaches."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.storage.models import Role
from bot.storage.repos import PartnerRecord, Repos


def parse_who(raw: str, default_channel: str,
              channels: Collection[str]) -> tuple[str, str] | None:
    """`12345` or `telegram:12345` -> (channel, external id); None when unusable or on a
    channel the deployment does not have."""
    raw = (raw or "").strip().lstrip("@")
    channel, sep, ext = raw.partition(":")
    if not sep:
        channel, ext = default_channel, raw
    channel = channel.lower()
    if channel not in channels or not ext or len(ext) > 64 or any(c.isspace() for c in ext):
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
    return await repos.partners.with_roles((Role.COACH.value, Role.ADMIN.value))


async def enroll_console_coach(repos: Repos, *, user: str, name: str | None, pack_id: str,
                               language: str, now: datetime) -> None:
    """Makes the console user the coaches' chat (`coachbot chat --coach`), role coach."""
    partner = await repos.partners.get("console", user)
    if partner is None:
        partner = await repos.partners.create(
            channel="console", external_id=user, chat_id=user, pack_id=pack_id, now=now,
            language=language)
    if partner.role == Role.PARTNER.value:
        partner.role = Role.COACH.value
    partner.name = partner.name or name
    await repos.partners.save(partner)
