"""/start: greets, joins a cohort, asks language, name, background and time zone."""

from __future__ import annotations

import unicodedata

from bot.core import Inbound, Reply, rows
from bot.core.timezones import ZONES
from content.schema import LANGUAGE_NAMES as LANGUAGES
from handlers.kit.context import Context
from handlers.kit.position import stale, where
from handlers.learning import assessment
from handlers.learning.states import LearningState
from handlers.onboarding.buttons import OnboardButton
from handlers.onboarding.states import PROFILE_STATES, OnboardingState

BACKGROUNDS = ("student", "fresh_graduate", "worker", "other")
MAX_NAME = 60


def ask_language(ctx: Context) -> Reply:
    buttons = [OnboardButton("lang", code).button(label) for code, label in LANGUAGES.items()]
    return Reply(ctx.t("ask_language"), rows(*buttons, width=2))


def ask_name(ctx: Context) -> Reply:
    hint = ctx.inbound.display_name
    if hint and clean_name(hint):
        use = OnboardButton("name", "profile").button(
            ctx.t("btn_use_name", name=clean_name(hint)))
        return Reply(ctx.t("ask_name"), rows(use))
    return Reply(ctx.t("ask_name"))


def ask_background(ctx: Context) -> Reply:
    buttons = [OnboardButton("bg", b).button(ctx.t(f"background_{b}")) for b in BACKGROUNDS]
    return Reply(ctx.t("ask_background", name=ctx.partner.name or ""), rows(*buttons, width=2))


def ask_timezone(ctx: Context) -> Reply:
    buttons = [OnboardButton("tz", z).button(ctx.t(f"tz_{z}")) for z in ZONES]
    return Reply(ctx.t("ask_timezone"), rows(*buttons))


def render(ctx: Context) -> list[Reply]:
    """Asks again the onboarding question the partner is on."""
    st = ctx.partner.state
    if st in (OnboardingState.NEW, OnboardingState.LANGUAGE):
        return [ask_language(ctx)]
    if st == OnboardingState.NAME:
        return [ask_name(ctx)]
    if st == OnboardingState.BACKGROUND:
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
        if ctx.partner.onboarded:
            ctx.partner.move(LearningState.MENU)
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
    if p.state == OnboardingState.NEW:
        p.move(OnboardingState.LANGUAGE)
        return [*replies, Reply(ctx.pack.meta.welcome.get(ctx.lang)), ask_language(ctx)]
    if p.state in PROFILE_STATES:
        return [*replies, *render(ctx)]
    return [*replies, Reply(ctx.t("welcome_back", name=p.name or "")), *await where(ctx)]


async def on_button(data: OnboardButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Stores the chosen language, profile name, background or time zone and asks the next."""
    p = ctx.partner
    what, value = data.what, data.value
    if what == "lang" and value in LANGUAGES and p.state in (OnboardingState.NEW,
                                                             OnboardingState.LANGUAGE):
        p.language = value
        p.state = OnboardingState.NAME
        return [ask_name(ctx)]
    if what == "name" and value == "profile" and p.state == OnboardingState.NAME:
        name = clean_name(msg.display_name or "")
        if name:
            p.name = name
            p.state = OnboardingState.BACKGROUND
            return [ask_background(ctx)]
        return [ask_name(ctx)]
    if what == "bg" and value in BACKGROUNDS and p.state == OnboardingState.BACKGROUND:
        p.background = value
        p.state = OnboardingState.TIMEZONE
        return [ask_timezone(ctx)]
    if what == "tz" and value in ZONES and p.state == OnboardingState.TIMEZONE:
        p.timezone = ZONES[value]
        return [Reply(ctx.t("profile_done", name=p.name or "")),
                *assessment.begin(ctx, "before")]
    return await stale(msg, ctx)


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Takes the partner's name; elsewhere in onboarding, points to the buttons."""
    p = ctx.partner
    if p.state == OnboardingState.NAME:
        name = clean_name(msg.text)
        if name is None:
            return [Reply(ctx.t("name_invalid", max=MAX_NAME)), ask_name(ctx)]
        p.name = name
        p.state = OnboardingState.BACKGROUND
        return [ask_background(ctx)]
    if p.state == OnboardingState.LANGUAGE:
        choice = msg.text.strip().lower()
        for code, label in LANGUAGES.items():
            if choice in (code, label.lower(), "indonesia" if code == "id" else "inggris"):
                p.language = code
                p.state = OnboardingState.NAME
                return [ask_name(ctx)]
    if p.state == OnboardingState.NEW:
        return await start(msg, ctx)
    return [Reply(ctx.t("use_buttons")), *render(ctx)]
