"""Partners' missions in chat: the list, a mission's details, proof sent in chat (a link, a
screenshot, a document, a number), resubmission after feedback, and the check-in answer;
coaches' verdicts by button, by replying to the proof, or by typing feedback."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

from bot.core import Button, Inbound, InboundKind, OutFile, Reply, rows
from bot.core.media import MediaFetchers
from bot.core.timezones import zone
from content.missions import Mission, ProofKind
from handlers.kit.context import Context
from handlers.kit.position import stale, where
from handlers.learning.buttons import HOME
from handlers.learning.states import LearningState
from handlers.missions import review
from handlers.missions.buttons import (
    LIST,
    DraftButton,
    MissionButton,
    ReviewAnswerButton,
    ReviewButton,
)
from handlers.missions.plan import (
    MissionView,
    Review,
    Standing,
    due_at,
    parse_number,
    standing,
    unlocked,
)
from handlers.missions.repo import (
    INTERVALS,
    CertificateRepo,
    MissionRepo,
    Proof,
    ReviewRepo,
    Standings,
)
from handlers.missions.states import MissionState

log = logging.getLogger(__name__)

LETTERS = "ABCDEFGH"
LINK = re.compile(r"(https?://\S+|www\.\S+)", re.IGNORECASE)
# a proof file carried to the coaches in the outbox: WhatsApp's limit for images
MAX_PROOF_BYTES = 5 * 1024 * 1024
MONTHS = {"id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov",
                 "Des"),
          "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec")}
ICONS = {Standing.OPEN: "🎯", Standing.SUBMITTED: "⏳", Standing.CHANGES: "✏️",
         Standing.APPROVED: "✅", Standing.LATE: "⌛"}
NEEDS_PROOF = (Standing.OPEN, Standing.CHANGES, Standing.LATE)
# how long after a check-in the partner's next free message is read as their answer
CHECKIN_WINDOW = timedelta(days=3)


def day_text(day: date, lang: str) -> str:
    return f"{day.day} {MONTHS.get(lang, MONTHS['en'])[day.month - 1]}"


def deadline_text(due: datetime, tz_name: str, lang: str) -> str:
    """The deadline day a partner reads (the due moment is the midnight ending it)."""
    return day_text((due.astimezone(zone(tz_name)) - timedelta(seconds=1)).date(), lang)


async def views(ctx: Context, standings: Standings | None = None) -> list[MissionView]:
    """The partner's unlocked missions, where they stand with each."""
    p = ctx.partner
    missions = list(ctx.pack.missions.values())
    if not missions:
        return []
    got = standings or await ctx.repo(MissionRepo).standings(p.id)
    now = ctx.now()
    out = []
    for mission, at in unlocked(missions, got.finished, p.onboarded_at):
        due = due_at(mission, at, p.timezone)
        status, feedback = got.latest.get(mission.id, (None, None))
        out.append(MissionView(mission, at, due, standing(status, due, now),
                               feedback if status is Review.CHANGES else None,
                               got.counts.get(mission.id, 0)))
    return out


def _status(ctx: Context, v: MissionView) -> str:
    due = deadline_text(v.due_at, ctx.partner.timezone, ctx.lang)
    return ctx.t(f"mission_status_{v.standing.value}", due=due)


async def show_list(ctx: Context) -> list[Reply]:
    found = await views(ctx)
    if not found:
        return [Reply(ctx.t("missions_none"), rows(HOME.button(ctx.t("btn_menu"))))]
    lines = [ctx.t("missions_title"), ""]
    buttons: list[Button] = []
    for v in found:
        title = v.mission.title.get(ctx.lang)
        lines.append(f"{ICONS[v.standing]} *{title}*: {_status(ctx, v)}")
        buttons.append(MissionButton("open", v.mission.id).button(
            f"{ICONS[v.standing]} {title}"[:60]))
    lines += ["", ctx.t("missions_hint")]
    return [Reply("\n".join(lines), rows(*buttons, HOME.button(ctx.t("btn_menu"))))]


async def list_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/misi, /missions: every unlocked mission and where the partner stands."""
    if not ctx.partner.onboarded:
        return [Reply(ctx.t("finish_onboarding_first")), *await where(ctx)]
    return await show_list(ctx)


def _kinds(ctx: Context, mission: Mission) -> str:
    names = [ctx.t(f"proof_{k.value}") for k in mission.proof]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" {ctx.t('proof_or')} " + names[-1]


def _detail(ctx: Context, v: MissionView) -> Reply:
    m = v.mission
    lines = [ctx.t("mission_detail", title=m.title.get(ctx.lang), why=m.why.get(ctx.lang),
                   hint=m.proof_hint.get(ctx.lang),
                   due=deadline_text(v.due_at, ctx.partner.timezone, ctx.lang))]
    if m.target is not None:
        lines.append(ctx.t("mission_target_line", value=m.target.value,
                           unit=m.target.unit.get(ctx.lang)))
    lines.append(f"{ICONS[v.standing]} {_status(ctx, v)}")
    if v.feedback:
        lines.append(ctx.t("mission_feedback_line", feedback=v.feedback))
    buttons = []
    if v.standing in NEEDS_PROOF:
        buttons.append(MissionButton("send", m.id).button(ctx.t("btn_mission_send")))
    buttons += [LIST.button(ctx.t("btn_missions")), HOME.button(ctx.t("btn_menu"))]
    return Reply("\n".join(lines), rows(*buttons))


async def _view(ctx: Context, mission_id: str | None) -> MissionView | None:
    return next((v for v in await views(ctx) if v.mission.id == mission_id), None)


def _prompt(ctx: Context, mission: Mission) -> Reply:
    return Reply(ctx.t("mission_send_prompt", title=mission.title.get(ctx.lang),
                       kinds=_kinds(ctx, mission), hint=mission.proof_hint.get(ctx.lang)),
                 rows(LIST.button(ctx.t("btn_missions")), HOME.button(ctx.t("btn_menu")),
                      width=2))


async def on_button(data: MissionButton, msg: Inbound, ctx: Context) -> list[Reply]:
    if not ctx.partner.onboarded:
        return await stale(msg, ctx)
    if data.action == "list":
        return await show_list(ctx)
    v = await _view(ctx, data.mission)
    if v is None:
        return await stale(msg, ctx)
    title = v.mission.title.get(ctx.lang)
    if data.action == "open":
        return [_detail(ctx, v)]
    if data.action == "send":
        if v.standing not in NEEDS_PROOF:
            return [Reply(ctx.t("mission_not_open")), _detail(ctx, v)]
        ctx.partner.move(MissionState.PROOF, position=v.mission.id)
        return [_prompt(ctx, v.mission)]
    if data.action == "reflect":
        ctx.partner.move(MissionState.REFLECT, position=v.mission.id)
        return [Reply(ctx.t("mission_reflect_prompt", title=title),
                      rows(HOME.button(ctx.t("btn_menu"))))]
    return await stale(msg, ctx)


# --- proof -------------------------------------------------------------------------------

def proof_of(msg: Inbound) -> Proof | None:
    """What the message offers as proof: a photo or document, a link, or a number."""
    caption = msg.text.strip()
    for a in msg.attachments:
        kind = ProofKind.PHOTO if a.kind == "photo" else ProofKind.DOCUMENT
        return Proof(kind.value, caption, a.file_id, a.name or None)
    if msg.kind is not InboundKind.TEXT or not caption:
        return None
    link = LINK.search(caption)
    if link:
        return Proof(ProofKind.LINK.value, caption)
    number = parse_number(caption)
    if number is not None:
        return Proof(ProofKind.NUMBER.value, caption, number=number)
    return None


def accepts(mission: Mission, proof: Proof, mime: str = "") -> bool:
    kinds = set(mission.proof)
    if proof.kind == ProofKind.DOCUMENT and mime.startswith("image/"):
        return bool(kinds & {ProofKind.DOCUMENT, ProofKind.PHOTO})  # a screenshot as a file
    return ProofKind(proof.kind) in kinds


def _mime(msg: Inbound) -> str:
    return msg.attachments[0].mime if msg.attachments else ""


def _who(ctx: Context) -> str:
    p = ctx.partner
    return f"{p.name or p.external_id} ({p.channel}:{p.external_id})"


async def _announce(ctx: Context, mission: Mission, sub_id: int, proof: Proof) -> None:
    """Puts the proof in the coaches' chat with the two verdict buttons."""
    address = ctx.coaches_address()
    if address is None:
        log.warning("no coaches' chat configured; proof %s waits for "
                    "`coachbot missions review`", sub_id)
        return
    lang = ctx.settings.coach_language
    text = proof.file_name or proof.text or ""
    shown = ctx.coach_t(f"mission_proof_{proof.kind}", text=text).strip()
    body = ctx.coach_t("mission_coach_new", id=sub_id, name=_who(ctx),
                       title=mission.title.get(lang), proof=shown)
    buttons = rows(ReviewButton("ok", sub_id).button(ctx.coach_t("btn_review_ok")),
                   ReviewButton("fix", sub_id).button(ctx.coach_t("btn_review_fix")),
                   width=2)
    files = await _proof_file(ctx, proof)
    image = proof.file_id if proof.kind == ProofKind.PHOTO and not files else None
    channel, chat = address
    now = ctx.now()
    await ctx.outbox.add(channel=channel, chat_id=chat, kind="mission_proof",
                         reply=Reply(body, buttons, image=image, ref=review.ref_of(sub_id),
                                     files=files),
                         due_at=now, dedupe_key=f"mission:{sub_id}:coach", now=now)


async def _proof_file(ctx: Context, proof: Proof) -> tuple[OutFile, ...]:
    """The proof file's bytes when its channel's file ids do not travel (WhatsApp's media
    ids, which expire too): fetched now and carried with the coaches' message. A file too big
    or not fetchable goes as before (its name), the proof is kept either way."""
    media = ctx.services.get(MediaFetchers)
    msg = ctx.inbound
    if media is None or proof.file_id is None or not media.can_fetch(msg.channel):
        return ()
    found = next((a for a in msg.attachments if a.file_id == proof.file_id), None)
    if found is None or found.size > MAX_PROOF_BYTES:
        return ()
    try:
        file = await media.fetch(msg.channel, found)
    except Exception as exc:  # the platform refused or is away: the coach still sees the text
        log.warning("could not fetch proof file from %s (%s)", msg.channel,
                    type(exc).__name__, extra={"partner_id": ctx.partner.id})
        return ()
    return (file,) if len(file.data) <= MAX_PROOF_BYTES else ()


async def submit(ctx: Context, mission: Mission, proof: Proof) -> list[Reply]:
    sub = await ctx.repo(MissionRepo).add(ctx.partner.id, mission.id, proof, ctx.now())
    await _announce(ctx, mission, sub.id, proof)
    ctx.partner.move(LearningState.MENU)
    return [Reply(ctx.t("mission_received", title=mission.title.get(ctx.lang)),
                  rows(LIST.button(ctx.t("btn_missions")), HOME.button(ctx.t("btn_menu")),
                       width=2))]


async def on_proof(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """The message after "Send proof": the proof for that mission, or a kind word on what
    counts."""
    v = await _view(ctx, ctx.partner.position)
    if v is None or v.standing not in NEEDS_PROOF:
        ctx.partner.move(LearningState.MENU)
        return await show_list(ctx)
    proof = proof_of(msg)
    if proof is None or not accepts(v.mission, proof, _mime(msg)):
        return [Reply(ctx.t("mission_wrong_proof", title=v.mission.title.get(ctx.lang),
                            kinds=_kinds(ctx, v.mission),
                            hint=v.mission.proof_hint.get(ctx.lang)),
                      rows(LIST.button(ctx.t("btn_missions")),
                           HOME.button(ctx.t("btn_menu")), width=2))]
    return await submit(ctx, v.mission, proof)


async def _unasked_proof(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Proof sent without choosing a mission first: filed under the one open mission that
    takes it, or the partner picks among several."""
    proof = proof_of(msg)
    if proof is None or proof.kind == ProofKind.NUMBER:
        return None  # a bare number may answer anything else
    if not msg.attachments and ctx.partner.state != LearningState.MENU:
        return None  # a link typed inside a module is that step's answer
    fits = [v for v in await views(ctx)
            if v.standing in NEEDS_PROOF and accepts(v.mission, proof, _mime(msg))]
    if not fits:
        if msg.attachments:
            return [Reply(ctx.t("mission_no_open"))]
        return None
    if len(fits) == 1:
        return await submit(ctx, fits[0].mission, proof)
    draft = await ctx.repo(MissionRepo).add(ctx.partner.id, "", proof, ctx.now(),
                                            status=Review.DRAFT)
    buttons = [DraftButton(draft.id, v.mission.id).button(v.mission.title.get(ctx.lang)[:60])
               for v in fits]
    return [Reply(ctx.t("mission_which"), rows(*buttons))]


async def on_draft_button(data: DraftButton, msg: Inbound, ctx: Context) -> list[Reply]:
    repo = ctx.repo(MissionRepo)
    draft = await repo.get(data.draft)
    v = await _view(ctx, data.mission)
    if (draft is None or draft.partner_id != ctx.partner.id or v is None
            or v.standing not in NEEDS_PROOF
            or not await repo.assign(draft.id, ctx.partner.id, v.mission.id)):
        return await stale(msg, ctx)
    await _announce(ctx, v.mission, draft.id, draft.proof)
    return [Reply(ctx.t("mission_received", title=v.mission.title.get(ctx.lang)),
                  rows(LIST.button(ctx.t("btn_missions")), HOME.button(ctx.t("btn_menu")),
                       width=2))]


# --- reflection --------------------------------------------------------------------------

async def _reflect(ctx: Context, mission_id: str, text: str) -> list[Reply]:
    await ctx.repo(MissionRepo).reflect(ctx.partner.id, mission_id, text, ctx.now())
    ctx.partner.move(LearningState.MENU)
    return [Reply(ctx.t("mission_reflect_thanks"),
                  rows(MissionButton("send", mission_id).button(ctx.t("btn_mission_send")),
                       LIST.button(ctx.t("btn_missions")), width=2))]


async def on_reflect(msg: Inbound, ctx: Context) -> list[Reply] | None:
    text = msg.text.strip()
    if not text:
        return None
    return await _reflect(ctx, ctx.partner.position or "", text)


async def _checkin_answer(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """A free message soon after a check-in answers it: kept as the partner's reflection,
    never taken for a question to the FAQ."""
    text = msg.text.strip()
    if (msg.attachments or not text or ctx.partner.state != LearningState.MENU
            or text.startswith("/")):
        return None
    late = [v for v in await views(ctx) if v.standing is Standing.LATE]
    if not late:
        return None
    said = {m for m, _, _ in await ctx.repo(MissionRepo).reflections(ctx.partner.id)}
    now = ctx.now()
    for v in late:
        if v.mission.id in said:
            continue
        row = await ctx.outbox.by_key(checkin_key(ctx.partner.id, v.mission.id))
        if row is not None and row.sent_at is not None and now - row.sent_at < CHECKIN_WINDOW:
            return await _reflect(ctx, v.mission.id, text)
    return None


def checkin_key(partner_id: int, mission_id: str) -> str:
    return f"n:{partner_id}:mchk:{mission_id}"


# --- coaches -----------------------------------------------------------------------------

def _coach_name(msg: Inbound, ctx: Context) -> str:
    return ctx.partner.name or msg.display_name or ctx.partner.external_id


def speaks_as_coach(ctx: Context) -> bool:
    return ctx.is_coach or ctx.in_coach_chat


async def on_review_button(data: ReviewButton, msg: Inbound, ctx: Context) -> list[Reply]:
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    scope = ctx.scope()
    if data.action == "ok":
        verdict = await review.approve(scope, data.submission, _coach_name(msg, ctx))
        return [Reply(review.outcome(scope, verdict, ctx.lang, data.submission))]
    if data.action == "fix":
        return await ask_feedback(ctx, data.submission)
    return await stale(msg, ctx)


async def ask_feedback(ctx: Context, submission_id: int) -> list[Reply]:
    """Asks the coach for their feedback on a submission still waiting (their next message
    is it)."""
    sub = await ctx.repo(MissionRepo).get(submission_id)
    partner = await ctx.repos.partners.by_id(sub.partner_id) if sub else None
    if sub is None or partner is None or sub.status is not Review.WAITING:
        if ctx.partner.state == MissionState.FEEDBACK:
            ctx.partner.move(LearningState.MENU)
        return [Reply(ctx.t("review_already", id=submission_id))]
    pack = ctx.library.packs.get(partner.pack_id)
    mission = pack.missions.get(sub.mission_id) if pack else None
    ctx.partner.move(MissionState.FEEDBACK, position=str(sub.id))
    return [Reply(ctx.t("review_ask_feedback", name=partner.name or partner.external_id,
                        title=mission.title.get(ctx.lang) if mission else sub.mission_id))]


async def _feedback(msg: Inbound, ctx: Context, submission_id: int) -> list[Reply]:
    text = msg.text.strip()
    scope = ctx.scope()
    if text.lower().strip(" .!") in review.APPROVALS:
        verdict = await review.approve(scope, submission_id, _coach_name(msg, ctx))
    else:
        verdict = await review.ask_change(scope, submission_id, _coach_name(msg, ctx), text)
    return [Reply(review.outcome(scope, verdict, ctx.lang, submission_id))]


async def _replied_submission(msg: Inbound, ctx: Context) -> int | None:
    if not msg.reply_to_ref:
        return None
    for row in await ctx.outbox.by_message_ref(msg.channel, msg.reply_to_ref,
                                               chat_id=msg.chat_id):
        found = review.parse_ref(row.payload.get("ref"))
        if found is not None:
            return found
    return None


async def intercept(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Before the other features: a coach's feedback (typed after "Ask for a change", or a
    reply to the proof), proof sent in chat, and the answer to a check-in."""
    if msg.kind is not InboundKind.TEXT:
        return None
    if speaks_as_coach(ctx):
        if ctx.partner.state == MissionState.FEEDBACK and msg.text.strip():
            sub_id = int(ctx.partner.position or 0)
            ctx.partner.move(LearningState.MENU)
            return await _feedback(msg, ctx, sub_id)
        replied = await _replied_submission(msg, ctx)
        if replied is not None and msg.text.strip():
            return await _feedback(msg, ctx, replied)
        if ctx.in_coach_chat:
            return None
    if msg.is_group or not ctx.partner.onboarded or ctx.partner.state in (
            MissionState.PROOF, MissionState.REFLECT):
        return None
    return await _unasked_proof(msg, ctx) or await _checkin_answer(msg, ctx)


async def review_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/review: the proof waiting for a coach, each with its verdict buttons."""
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    waiting = await ctx.repo(MissionRepo).waiting(limit=10)
    if not waiting:
        return [Reply(ctx.t("review_list_empty"))]
    out = [Reply(ctx.t("review_list_title", n=len(waiting)))]
    for sub in waiting:
        partner = await ctx.repos.partners.by_id(sub.partner_id)
        pack = ctx.library.packs.get(partner.pack_id) if partner else None
        mission = pack.missions.get(sub.mission_id) if pack else None
        name = f"{partner.name or partner.external_id}" if partner else "?"
        shown = ctx.t(f"mission_proof_{sub.proof.kind}",
                      text=sub.proof.file_name or sub.proof.text).strip()
        out.append(Reply(
            ctx.t("mission_coach_new", id=sub.id, name=name,
                  title=mission.title.get(ctx.lang) if mission else sub.mission_id,
                  proof=shown),
            rows(ReviewButton("ok", sub.id).button(ctx.t("btn_review_ok")),
                 ReviewButton("fix", sub.id).button(ctx.t("btn_review_fix")), width=2),
            image=sub.proof.file_id if sub.proof.kind == ProofKind.PHOTO else None,
            ref=review.ref_of(sub.id)))
    return out


# --- spaced review -----------------------------------------------------------------------

async def on_review_answer(data: ReviewAnswerButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """One missed question asked again: right moves it to a longer interval (mastered after
    the 7-day one), wrong brings it back tomorrow."""
    repo = ctx.repo(ReviewRepo)
    item = await repo.get(data.item)
    quiz = ctx.pack.quiz(item.quiz_id) if item else None
    question = next((q for q in quiz.questions if q.id == item.question_id), None) if (
        quiz and item) else None
    option = next((o for o in question.options if o.id == data.option), None) if (
        question) else None
    if (item is None or item.partner_id != ctx.partner.id or item.mastered
            or item.box != data.box or question is None or option is None):
        return await stale(msg, ctx)
    after = await repo.answer(item, option.correct, ctx.now())
    if not option.correct:
        right = next(o for o in question.options if o.correct)
        text = "\n\n".join([ctx.t("review_wrong", answer=right.text.get(ctx.lang)),
                            right.feedback.get(ctx.lang)])
    elif after.mastered:
        text = "\n\n".join([ctx.t("review_mastered"), option.feedback.get(ctx.lang)])
    else:
        text = "\n\n".join([ctx.t("review_right", days=INTERVALS[after.box].days),
                            option.feedback.get(ctx.lang)])
    return [Reply(text, rows(HOME.button(ctx.t("btn_menu"))))]


# --- certificates ------------------------------------------------------------------------

async def cert_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/cert CODE says whose certificate it is; /cert revoke CODE revokes it."""
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    words = msg.args.split()
    revoke = bool(words) and words[0].lower() in ("revoke", "cabut")
    code = (words[1] if revoke and len(words) > 1 else words[0] if words and not revoke
            else "")
    if not code:
        return [Reply(ctx.t("cert_usage"))]
    repo = ctx.repo(CertificateRepo)
    if revoke:
        done = await repo.revoke(code, _coach_name(msg, ctx), ctx.now())
        return [Reply(ctx.t("cert_revoked" if done else "cert_not_found", code=code.upper()))]
    cert = await repo.by_code(code)
    if cert is None:
        return [Reply(ctx.t("cert_not_found", code=code.upper()))]
    pack = ctx.library.packs.get(cert.pack_id)
    line = ctx.t("cert_valid", code=cert.code, name=cert.name,
                 program=pack.meta.title.get(ctx.lang) if pack else cert.pack_id,
                 date=day_text(cert.issued_at.date(), ctx.lang) + f" {cert.issued_at.year}")
    if cert.revoked_at is not None:
        line += "\n" + ctx.t("cert_is_revoked", by=cert.revoked_by or "?",
                             date=day_text(cert.revoked_at.date(), ctx.lang))
    return [Reply(line)]
