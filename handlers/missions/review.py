"""A coach's verdict on a submission, the same from the coaches' chat and the CLI: record
it, tell the partner (through the outbox), recognise a reached target."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import Reply, rows
from bot.storage.repos import PartnerRecord
from content.missions import Mission
from handlers.missions.buttons import LIST, MissionButton
from handlers.missions.plan import Review
from handlers.missions.repo import MissionRepo, SubmissionRecord
from scheduler.scope import Scope

APPROVALS = {"ok", "oke", "okay", "setuju", "approve", "approved", "👍", "✅", "acc"}


@dataclass(frozen=True)
class Verdict:
    """What happened, for the coach's answer: `done` False when it was already reviewed."""

    done: bool
    submission: SubmissionRecord | None
    partner: PartnerRecord | None
    mission: Mission | None
    target_met: bool = False
    status: Review = Review.WAITING


def ref_of(submission_id: int) -> str:
    """The Reply.ref of a submission in the coaches' chat (a coach's reply finds it)."""
    return f"ms:{submission_id}"


def parse_ref(ref: object) -> int | None:
    if isinstance(ref, str) and ref.startswith("ms:") and ref[3:].isdigit():
        return int(ref[3:])
    return None


async def _load(scope: Scope, submission_id: int) -> tuple[
        SubmissionRecord | None, PartnerRecord | None, Mission | None]:
    sub = await scope.repo(MissionRepo).get(submission_id)
    if sub is None:
        return None, None, None
    partner = await scope.repos.partners.by_id(sub.partner_id)
    pack = scope.library.packs.get(partner.pack_id) if partner else None
    return sub, partner, pack.missions.get(sub.mission_id) if pack else None


def _title(mission: Mission | None, sub: SubmissionRecord, lang: str) -> str:
    return mission.title.get(lang) if mission else sub.mission_id


async def _tell(scope: Scope, partner: PartnerRecord, sub: SubmissionRecord, what: str,
                reply: Reply) -> None:
    await scope.outbox.add(channel=partner.channel, chat_id=partner.chat_id,
                           kind="mission_review", reply=reply, due_at=scope.now,
                           dedupe_key=f"mission:{sub.id}:{what}", now=scope.now,
                           partner_id=partner.id)


async def approve(scope: Scope, submission_id: int, by: str) -> Verdict:
    sub, partner, mission = await _load(scope, submission_id)
    if sub is None or partner is None:
        return Verdict(False, sub, partner, mission)
    target = mission.target if mission else None
    met = bool(target and sub.proof.number is not None and sub.proof.number >= target.value)
    if not await scope.repo(MissionRepo).review(sub.id, Review.APPROVED, by, scope.now,
                                                target_met=met):
        return Verdict(False, sub, partner, mission)
    lang = partner.language

    def t(key: str, **values: object) -> str:
        return scope.t(partner.pack_id, lang, key, **values)

    name = partner.name or t("nudge_friend")
    title = _title(mission, sub, lang)
    await _tell(scope, partner, sub, "approved", Reply(
        t("mission_approved", title=title, coach=by, name=name),
        rows(LIST.button(t("btn_missions")))))
    if met and target is not None:
        await _tell(scope, partner, sub, "target", Reply(t(
            "mission_target_reached", name=name, value=target.value,
            unit=target.unit.get(lang), title=title)))
    return Verdict(True, sub, partner, mission, met, Review.APPROVED)


async def ask_change(scope: Scope, submission_id: int, by: str, feedback: str) -> Verdict:
    sub, partner, mission = await _load(scope, submission_id)
    if sub is None or partner is None or not feedback.strip():
        return Verdict(False, sub, partner, mission)
    if not await scope.repo(MissionRepo).review(sub.id, Review.CHANGES, by, scope.now,
                                                feedback=feedback.strip()):
        return Verdict(False, sub, partner, mission)
    lang = partner.language

    def t(key: str, **values: object) -> str:
        return scope.t(partner.pack_id, lang, key, **values)

    await _tell(scope, partner, sub, "changes", Reply(
        t("mission_changes", coach=by, title=_title(mission, sub, lang),
          feedback=feedback.strip()),
        rows(MissionButton("send", sub.mission_id).button(t("btn_mission_send")),
             LIST.button(t("btn_missions")), width=2)))
    return Verdict(True, sub, partner, mission, status=Review.CHANGES)


def outcome(scope: Scope, verdict: Verdict, lang: str, submission_id: int) -> str:
    """The coach's answer to their verdict, in `lang`."""
    def t(key: str, **values: object) -> str:
        return scope.t(None, lang, key, **values)

    sub, partner = verdict.submission, verdict.partner
    if sub is None or partner is None:
        return t("review_already", id=submission_id)
    name = partner.name or partner.external_id
    if not verdict.done:
        return t("review_already", id=sub.id)
    if verdict.status is Review.CHANGES:
        return t("review_done_fix", id=sub.id, name=name)
    lines = [t("review_done_ok", id=sub.id, name=name)]
    if verdict.target_met:
        lines.append(t("review_done_target", name=name,
                       title=_title(verdict.mission, sub, lang)))
    return "\n".join(lines)
