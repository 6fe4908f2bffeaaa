"""/mydata shows a partner what we store about them; /deletedata erases it after a confirmation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.core import Inbound, OutFile, Reply, rows
from bot.core.payloads import ButtonData, button
from handlers.kit.context import Context
from handlers.kit.position import stale, where


@button("pv")
@dataclass(frozen=True, slots=True)
class PrivacyButton(ButtonData):
    """`ask`: confirm deletion; `yes`: delete; `no`: keep."""

    action: str


async def my_data(msg: Inbound, ctx: Context) -> list[Reply]:
    """Lists the profile and what every feature stores for this partner; `/mydata file`
    sends all of it as a JSON document."""
    p = ctx.partner
    if msg.args.strip().lower() in ("file", "berkas", "json"):
        return [await _export(ctx)]
    lines = [ctx.t("mydata_title"),
             ctx.t("mydata_profile", name=p.name or "–", language=p.language,
                   background=p.background or "–", timezone=p.timezone,
                   created=p.created_at.strftime("%Y-%m-%d"))]
    for feature in ctx.features:
        for section in await feature.my_data(ctx):
            lines += section.lines
    return [Reply("\n".join(lines),
                  rows(PrivacyButton("ask").button(ctx.t("btn_delete_data"))))]


async def delete_data(msg: Inbound, ctx: Context) -> list[Reply]:
    """Asks for a confirmation before erasing everything."""
    return [Reply(ctx.t("delete_confirm"),
                  rows(PrivacyButton("yes").button(ctx.t("btn_delete_yes")),
                       PrivacyButton("no").button(ctx.t("btn_delete_no")), width=2))]


async def on_button(data: PrivacyButton, msg: Inbound, ctx: Context) -> list[Reply]:
    if data.action == "ask":
        return await delete_data(msg, ctx)
    if data.action == "yes":
        text = ctx.t("data_deleted")
        for feature in ctx.features:  # copies addressed to others first, then their rows
            await feature.forget(ctx)
        await ctx.repos.partners.delete(ctx.partner.id)
        ctx.partner._loaded = {}  # nothing left to write back
        ctx.partner.id = -1
        return [Reply(text)]
    if data.action == "no":
        return [Reply(ctx.t("delete_cancelled")), *await where(ctx)]
    return await stale(msg, ctx)


async def export(ctx: Context) -> dict[str, Any]:
    """Everything stored about the partner, as JSON-ready data (profile, then each feature)."""
    p = ctx.partner
    data: dict[str, Any] = {"profile": {
        "channel": p.channel, "id": p.external_id, "name": p.name, "language": p.language,
        "background": p.background, "timezone": p.timezone, "role": p.role,
        "pack": p.pack_id, "state": p.state, "opted_out": p.opted_out,
        "created_at": p.created_at.isoformat(),
        "last_active_at": p.last_active_at.isoformat()}}
    for feature in ctx.features:
        for section in await feature.my_data(ctx):
            data[section.key] = section.export
    return data


async def _export(ctx: Context) -> Reply:
    body = json.dumps(await export(ctx), ensure_ascii=False, indent=2).encode()
    name = f"mydata-{ctx.partner.id}.json"
    return Reply(ctx.t("mydata_file"), files=(OutFile(name, body, "application/json"),))
