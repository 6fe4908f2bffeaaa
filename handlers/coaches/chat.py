"""/addcoach, /removecoach (admins only) and /coaches."""

from __future__ import annotations

from bot.core import Inbound, Reply
from bot.storage.models import Role
from handlers.coaches import roles
from handlers.kit.context import Context


async def _change(msg: Inbound, ctx: Context, role: Role) -> list[Reply]:
    if not ctx.is_admin:
        return [Reply(ctx.t("role_admin_only"))]
    who_raw, _, name = msg.args.partition(" ")
    who = roles.parse_who(who_raw, msg.channel, ctx.channels)
    usage = "role_addcoach_usage" if role is Role.COACH else "role_removecoach_usage"
    if who is None:
        return [Reply(ctx.t(usage))]
    channel, ext = who
    if (channel, ext) == (ctx.partner.channel, ctx.partner.external_id):
        return [Reply(ctx.t("role_is_admin", who=ctx.partner.name or f"{channel}:{ext}"))]
    if role is Role.PARTNER and await ctx.repos.partners.get(channel, ext) is None:
        return [Reply(ctx.t("role_unknown_person", who=f"{channel}:{ext}"))]
    rec, _ = await roles.set_role(ctx.repos, channel=channel, external_id=ext, role=role,
                                  pack_id=ctx.settings.default_pack, now=ctx.now(),
                                  name=name.strip()[:60] or None)
    label = rec.name or f"{channel}:{ext}"
    if rec.role == Role.ADMIN.value:
        return [Reply(ctx.t("role_is_admin", who=label))]
    key = "role_coach_added" if role is Role.COACH else "role_coach_removed"
    return [Reply(ctx.t(key, who=label))]


async def add_coach(msg: Inbound, ctx: Context) -> list[Reply]:
    """Makes someone a coach: `/addcoach 12345 [name]` or `/addcoach telegram:12345`."""
    return await _change(msg, ctx, Role.COACH)


async def remove_coach(msg: Inbound, ctx: Context) -> list[Reply]:
    """Makes a coach a partner again."""
    return await _change(msg, ctx, Role.PARTNER)


async def list_coaches(msg: Inbound, ctx: Context) -> list[Reply]:
    """Lists coaches and admins."""
    found = await roles.coaches(ctx.repos)
    lines = [ctx.t("role_list_title")]
    lines += [f"{'⭐' if role == Role.ADMIN.value else '🧑‍🏫'} {name or '—'} ({channel}:{ext})"
              for channel, ext, name, role in found]
    return [Reply("\n".join(lines))]
