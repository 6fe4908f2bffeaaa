"""/help, /progress, /language, unknown commands and text nobody is waiting for."""

from __future__ import annotations

from bot.core import Button, Inbound, Reply, rows
from handlers import position
from handlers.context import Context
from handlers.onboarding import LANGUAGES
from handlers.payloads import Payload, make
from handlers.router import Router


def _router(ctx: Context) -> Router:
    from handlers.registry import build_router

    return build_router()


async def help_(msg: Inbound, ctx: Context) -> list[Reply]:
    """Lists the commands a partner can use, and a coach's own commands to coaches."""
    commands = _router(ctx).commands.items()
    lines = [ctx.t("help_title")]
    lines += [f"/{name} — {ctx.t(cmd.help_key)}" for name, cmd in commands
              if cmd.help_key and not cmd.for_coaches]
    if ctx.partner.role in ("coach", "admin"):
        lines += ["", ctx.t("help_coach_title")]
        lines += [f"/{name} — {ctx.t(cmd.help_key)}" for name, cmd in commands
                  if cmd.help_key and cmd.for_coaches]
    return [Reply("\n".join(lines))]


async def progress(msg: Inbound, ctx: Context) -> list[Reply]:
    """Shows modules finished, quiz results and readiness before and after."""
    from handlers import menu

    seen = await ctx.repos.progress.overview(ctx.partner.id)  # one query for all of it
    marks, _ = menu.marks_of(ctx, seen.progress)
    history = seen.attempts
    best: dict[str, tuple[int, int, bool]] = {}
    for a in history:
        prev = best.get(a.quiz_id)
        if prev is None or a.score / max(a.total, 1) > prev[0] / max(prev[1], 1):
            best[a.quiz_id] = (a.score, a.total, bool(a.passed))
    done = sum(m == "done" for m in marks.values())
    lines = [ctx.t("progress_title", done=done, total=len(marks))]
    for mid, module in ctx.pack.modules.items():
        line = f"{menu.ICONS[marks[mid]]} {module.title.get(ctx.lang)}"
        if mid in best:
            s, t, ok = best[mid]
            line += " — " + ctx.t("progress_quiz", score=s, total=t) + (" ✅" if ok else "")
        lines.append(line)
    if "final" in best:
        s, t, ok = best["final"]
        lines.append(ctx.t("progress_final", score=s, total=t) + (" ✅" if ok else ""))
    attempts = len(history)
    if attempts:
        lines.append(ctx.t("progress_attempts", n=attempts))
    before = seen.ratings.get("before", {})
    after = seen.ratings.get("after", {})
    if before:
        avg = sum(before.values()) / len(before)
        lines.append(ctx.t("progress_ready_before", avg=f"{avg:.1f}"))
    if after:
        avg = sum(after.values()) / len(after)
        lines.append(ctx.t("progress_ready_after", avg=f"{avg:.1f}"))
    replies = [Reply("\n".join(lines), rows(Button(ctx.t("btn_menu"), make("m", "home"))))]
    if before and after:
        from handlers import assessment

        replies = [*await assessment.comparison(ctx), *replies]
    return replies


async def language(msg: Inbound, ctx: Context) -> list[Reply]:
    """Offers the languages; switching keeps the partner exactly where they are."""
    arg = msg.args.strip().lower()
    if arg in LANGUAGES:
        ctx.partner.language = arg
        return [Reply(ctx.t("language_set")), *await position.show(ctx)]
    buttons = [Button(label, make("l", code)) for code, label in LANGUAGES.items()]
    return [Reply(ctx.t("ask_language"), rows(*buttons, width=2))]


async def on_language_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    code = payload.get(0)
    if code not in LANGUAGES:
        return await position.stale(msg, ctx)
    ctx.partner.language = code
    return [Reply(ctx.t("language_set")), *await position.show(ctx)]


async def unknown_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """Names the command it does not know and lists the ones it does."""
    name = (msg.command or "")[:32]
    return [Reply(ctx.t("unknown_command", command=name)), *await help_(msg, ctx)]


async def not_understood(msg: Inbound, ctx: Context) -> list[Reply]:
    """Text nobody is waiting for: say so kindly and show where the partner is."""
    return [Reply(ctx.t("not_understood")), *await position.show(ctx)]


def register(router: Router) -> None:
    router.command("help", "bantuan", help_key="help_help")(help_)
    router.command("progress", "kemajuan", help_key="help_progress")(progress)
    router.command("language", "bahasa", help_key="help_language")(language)
    router.button("l")(on_language_button)
    router.unknown_command = unknown_command
    router.fallback = not_understood
    router.stale_button = position.stale
