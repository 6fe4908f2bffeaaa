"""/start: greets, joins a cohort, asks language, name, background and time zone."""

from __future__ import annotations

import unicodedata

from bot.core import Button, Inbound, Reply, rows
from bot.storage.models import ConvState
from handlers import assessment, position
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
BACKGROUNDS = ("student", "fresh_graduate", "worker", "other")
TIMEZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
MAX_NAME = 60
ONBOARDING_STATES = (ConvState.NEW, ConvState.ONBOARD_LANGUAGE, ConvState.ONBOARD_NAME,
                     ConvState.ONBOARD_BACKGROUND, ConvState.ONBOARD_TIMEZONE)


def ask_language(ctx: Context) -> Reply:
    buttons = [Button(label, make("o", "lang", code)) for code, label in LANGUAGES.items()]
    return Reply(ctx.t("ask_language"), rows(*buttons, width=2))


def ask_name(ctx: Context) -> Reply:
    hint = ctx.inbound.display_name
    if hint and clean_name(hint):
        return Reply(ctx.t("ask_name"),
                     rows(Button(ctx.t("btn_use_name", name=clean_name(hint)),
                                 make("o", "name", "profile"))))
    return Reply(ctx.t("ask_name"))


def ask_background(ctx: Context) -> Reply:
    buttons = [Button(ctx.t(f"background_{b}"), make("o", "bg", b)) for b in BACKGROUNDS]
    return Reply(ctx.t("ask_background", name=ctx.partner.name or ""), rows(*buttons, width=2))


def ask_timezone(ctx: Context) -> Reply:
    buttons = [Button(ctx.t(f"tz_{z}"), make("o", "tz", z)) for z in TIMEZONES]
    return Reply(ctx.t("ask_timezone"), rows(*buttons))


def render(ctx: Context) -> list[Reply]:
    """Asks again the onboarding question the partner is on."""
    st = ctx.partner.state
    if st in (ConvState.NEW, ConvState.ONBOARD_LANGUAGE):
        return [ask_language(ctx)]
    if st is ConvState.ONBOARD_NAME:
        return [ask_name(ctx)]
    if st is ConvState.ONBOARD_BACKGROUND:
        return [ask_background(ctx)]
    return [ask_timezone(ctx)]


def clean_name(raw: str) -> str | None:
    """A usable display name, or None when there is nothing name-like in the text."""
    name = " ".join(raw.split())
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    if not name or len(name) > MAX_NAME or name.startswith("/"):
        return None
    # emoji alone are not a name; letters, digits and punctuation (even `*_[`) can be
    if not any(unicodedata.category(ch)[0] in "LNP" for ch in name):
        return None
    return name


async def _join_cohort(code: str, ctx: Context) -> list[Reply]:
    cohort = await ctx.repos.cohorts.by_code(code.strip()) if code.strip() else None
    if cohort is None:
        return [Reply(ctx.t("cohort_unknown", code=code.strip()[:32]))]
    if ctx.partner.cohort_id == cohort.id:
        return []
    changed_pack = cohort.pack_id != ctx.partner.pack_id and cohort.pack_id in ctx.library.packs
    ctx.partner.cohort_id = cohort.id
    if changed_pack:
        ctx.partner.pack_id = cohort.pack_id
        if ctx.partner.state not in ONBOARDING_STATES and ctx.partner.state is not (
                ConvState.ASSESS_BEFORE):
            ctx.partner.move(ConvState.MENU)
    return [Reply(ctx.t("cohort_joined", cohort=cohort.name))]


async def start(msg: Inbound, ctx: Context) -> list[Reply]:
    """Greets a new partner and asks their language; welcomes back anyone else."""
    p = ctx.partner
    replies: list[Reply] = []
    if msg.args:
        replies += await _join_cohort(msg.args.split()[0], ctx)
    if p.opted_out:
        p.opted_out = False
        replies.append(Reply(ctx.t("opted_in")))
    if p.state is ConvState.NEW:
        p.move(ConvState.ONBOARD_LANGUAGE)
        return [*replies, Reply(ctx.pack.meta.welcome.get(ctx.lang)), ask_language(ctx)]
    if p.state in ONBOARDING_STATES:
        return [*replies, *render(ctx)]
    return [*replies, Reply(ctx.t("welcome_back", name=p.name or "")),
            *await position.show(ctx)]


async def on_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """Stores the chosen language, profile name, background or time zone and asks the next."""
    p = ctx.partner
    what, value = payload.get(0), payload.get(1)
    if what == "lang" and value in LANGUAGES and p.state in (ConvState.NEW,
                                                             ConvState.ONBOARD_LANGUAGE):
        p.language = value
        p.state = ConvState.ONBOARD_NAME
        return [ask_name(ctx)]
    if what == "name" and value == "profile" and p.state is ConvState.ONBOARD_NAME:
        name = clean_name(msg.display_name or "")
        if name:
            p.name = name
            p.state = ConvState.ONBOARD_BACKGROUND
            return [ask_background(ctx)]
        return [ask_name(ctx)]
    if what == "bg" and value in BACKGROUNDS and p.state is ConvState.ONBOARD_BACKGROUND:
        p.background = value
        p.state = ConvState.ONBOARD_TIMEZONE
        return [ask_timezone(ctx)]
    if what == "tz" and value in TIMEZONES and p.state is ConvState.ONBOARD_TIMEZONE:
        p.timezone = TIMEZONES[value]
        return [Reply(ctx.t("profile_done", name=p.name or "")),
                *assessment.begin(ctx, "before")]
    return await position.stale(msg, ctx)


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Takes the partner's name; elsewhere in onboarding, points to the buttons."""
    p = ctx.partner
    if p.state is ConvState.ONBOARD_NAME:
        name = clean_name(msg.text)
        if name is None:
            return [Reply(ctx.t("name_invalid", max=MAX_NAME)), ask_name(ctx)]
        p.name = name
        p.state = ConvState.ONBOARD_BACKGROUND
        return [ask_background(ctx)]
    if p.state is ConvState.ONBOARD_LANGUAGE:
        choice = msg.text.strip().lower()
        for code, label in LANGUAGES.items():
            if choice in (code, label.lower(), "indonesia" if code == "id" else "inggris"):
                p.language = code
                p.state = ConvState.ONBOARD_NAME
                return [ask_name(ctx)]
    if p.state is ConvState.NEW:
        return await start(msg, ctx)
    return [Reply(ctx.t("use_buttons")), *render(ctx)]


def register(router: Router) -> None:
    router.command("start", "mulai", help_key="help_start")(start)
    router.button("o")(on_button)
    router.state(*ONBOARDING_STATES)(on_text)
