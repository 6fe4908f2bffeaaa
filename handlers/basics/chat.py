"""/help, /progress, /language, unknown commands and text nobody is waiting for."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import Inbound, Reply, rows
from bot.core.payloads import ButtonData, button
from content.schema import LANGUAGE_NAMES as LANGUAGES
from handlers.kit.context import Context
from handlers.kit.position import stale, where


@button("l")
@dataclass(frozen=True, slots=True)
class LanguageButton(ButtonData):
    code: str


async def help_(msg: Inbound, ctx: Context) -> list[Reply]:
    """Lists the commands a partner can use, and a coach's own commands to coaches."""
    commands = ctx.router.commands.items()
    lines = [ctx.t("help_title")]
    lines += [f"/{name} — {ctx.t(cmd.help_key)}" for name, cmd in commands
              if cmd.help_key and not cmd.for_coaches]
    if ctx.is_coach:
        lines += ["", ctx.t("help_coach_title")]
        lines += [f"/{name} — {ctx.t(cmd.help_key)}" for name, cmd in commands
                  if cmd.help_key and cmd.for_coaches]
    return [Reply("\n".join(lines))]


async def progress(msg: Inbound, ctx: Context) -> list[Reply]:
    """Shows what every feature has to say about the partner's progress."""
    replies: list[Reply] = []
    for feature in ctx.features:
        replies += await feature.progress(ctx)
    return replies


async def my_progress(ctx: Context) -> Reply | None:
    """/progress as a live FAQ answer (`answer_from: my_progress`): one message."""
    replies: list[Reply] = []
    for feature in ctx.features:
        replies += await feature.progress(ctx)
    if not replies:
        return None
    return Reply("\n\n".join(r.text for r in replies),
                 tuple(row for r in replies for row in r.buttons))


async def language(msg: Inbound, ctx: Context) -> list[Reply]:
    """Offers the languages; switching keeps the partner exactly where they are."""
    arg = msg.args.strip().lower()
    if arg in LANGUAGES:
        ctx.partner.language = arg
        return [Reply(ctx.t("language_set")), *await where(ctx)]
    buttons = [LanguageButton(code).button(label) for code, label in LANGUAGES.items()]
    return [Reply(ctx.t("ask_language"), rows(*buttons, width=2))]


async def on_language_button(data: LanguageButton, msg: Inbound, ctx: Context) -> list[Reply]:
    if data.code not in LANGUAGES:
        return await stale(msg, ctx)
    ctx.partner.language = data.code
    return [Reply(ctx.t("language_set")), *await where(ctx)]


async def unknown_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """Names the command it does not know and lists the ones it does."""
    name = (msg.command or "")[:32]
    return [Reply(ctx.t("unknown_command", command=name)), *await help_(msg, ctx)]


async def not_understood(msg: Inbound, ctx: Context) -> list[Reply]:
    """Text nobody is waiting for: say so kindly and show where the partner is."""
    return [Reply(ctx.t("not_understood")), *await where(ctx)]
