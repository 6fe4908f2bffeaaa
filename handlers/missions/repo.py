"""Missions' repository: takes a session, never commits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    CompoundSelect,
    Integer,
    String,
    Table,
    bindparam,
    func,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import fetch_rows
from bot.storage.models import Partner
from handlers.learning.models import ModuleProgress, QuizAnswer, QuizAttempt
from handlers.missions.models import (
    Certificate,
    MissionReflection,
    MissionSubmission,
    ReviewItem,
)
from handlers.missions.plan import Review

MS = cast(Table, MissionSubmission.__table__).c
MP = cast(Table, ModuleProgress.__table__).c
RI = cast(Table, ReviewItem.__table__).c
CT = cast(Table, Certificate.__table__).c
PTC = cast(Table, Partner.__table__).c
MAX_TEXT = 2000


def _standings_query() -> CompoundSelect:
    """What /progress reads of missions, in one query built once (building it cost more than
    running it, on every /progress)."""
    text = String()
    pid = bindparam("pid", type_=Integer())
    finished = select(literal_column("'p'", text).label("k"), MP.module_id.label("a"),
                      MP.completed_at.label("at"), sql_cast(null(), text).label("b"),
                      sql_cast(null(), text).label("c"), MP.id.label("n")).where(
        MP.partner_id == pid, MP.completed_at.is_not(None))
    sent = select(literal_column("'s'", text), MS.mission_id, MS.created_at, MS.status,
                  MS.feedback, MS.id).where(MS.partner_id == pid,
                                            MS.status != Review.DRAFT.value)
    mastered = select(literal_column("'r'", text), sql_cast(null(), text),
                      sql_cast(null(), MP.completed_at.type), sql_cast(null(), text),
                      sql_cast(null(), text), sql_cast(func.count(), Integer)).where(
        RI.partner_id == pid, RI.mastered.is_(True))
    return union_all(finished, sent, mastered)


_STANDINGS = _standings_query()


@dataclass(frozen=True)
class Proof:
    """What a partner sent as proof: a link or text, a photo or document, a number."""

    kind: str
    text: str = ""
    file_id: str | None = None
    file_name: str | None = None
    number: int | None = None


@dataclass(frozen=True)
class SubmissionRecord:
    id: int
    partner_id: int
    mission_id: str
    status: Review
    proof: Proof
    feedback: str | None
    reviewed_by: str | None
    target_met: bool
    created_at: datetime
    reviewed_at: datetime | None


def _record(r: MissionSubmission) -> SubmissionRecord:
    return SubmissionRecord(r.id, r.partner_id, r.mission_id, Review(r.status),
                            Proof(r.kind, r.text or "", r.file_id, r.file_name, r.number),
                            r.feedback, r.reviewed_by, r.target_met, r.created_at,
                            r.reviewed_at)


@dataclass(frozen=True)
class Standings:
    """What a partner's missions view needs, read in one round trip: when each module was
    finished, each mission's latest submission and how many were sent, and how many review
    questions are mastered."""

    finished: dict[str, datetime]
    latest: dict[str, tuple[Review, str | None]]
    counts: Counter[str]
    mastered: int = 0


class MissionRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def standings(self, partner_id: int) -> Standings:
        rows = await fetch_rows(self.s, _STANDINGS, {"pid": partner_id})
        out = Standings({}, {}, Counter())
        subs = []
        n_mastered = 0
        for k, a, at, b, c, n in rows:
            if k == "p":
                out.finished[a] = at
            elif k == "s":
                subs.append((n, a, b, c))
            else:
                n_mastered = int(n or 0)
        for _, mission_id, status, feedback in sorted(subs):
            out.latest[mission_id] = (Review(status), feedback)
            out.counts[mission_id] += 1
        return Standings(out.finished, out.latest, out.counts, n_mastered)

    async def finished_modules(self, partner_id: int) -> dict[str, datetime]:
        """When the partner finished each module (what unlocks missions)."""
        rows = await self.s.execute(select(MP.module_id, MP.completed_at).where(
            MP.partner_id == partner_id, MP.completed_at.is_not(None)))
        return {mid: at for mid, at in rows.all()}

    async def latest(self, partner_id: int) -> dict[str, SubmissionRecord]:
        """Each mission's latest submission (drafts left out)."""
        rows = (await self.s.execute(
            select(MissionSubmission).where(MissionSubmission.partner_id == partner_id,
                                            MissionSubmission.status != Review.DRAFT.value)
            .order_by(MissionSubmission.id))).scalars()
        return {r.mission_id: _record(r) for r in rows}

    async def counts(self, partner_id: int) -> Counter[str]:
        rows = await self.s.execute(
            select(MS.mission_id, func.count()).where(
                MS.partner_id == partner_id, MS.status != Review.DRAFT.value)
            .group_by(MS.mission_id))
        return Counter({mid: n for mid, n in rows.all()})

    async def add(self, partner_id: int, mission_id: str, proof: Proof, now: datetime, *,
                  status: Review = Review.WAITING) -> SubmissionRecord:
        row = MissionSubmission(partner_id=partner_id, mission_id=mission_id,
                                status=status.value, kind=proof.kind,
                                text=proof.text[:MAX_TEXT] or None, file_id=proof.file_id,
                                file_name=proof.file_name, number=proof.number,
                                target_met=False, created_at=now)
        self.s.add(row)
        await self.s.flush()
        return _record(row)

    async def get(self, submission_id: int) -> SubmissionRecord | None:
        row = await self.s.get(MissionSubmission, submission_id)
        return _record(row) if row is not None else None

    async def assign(self, draft_id: int, partner_id: int, mission_id: str) -> bool:
        """Files a draft proof under the mission the partner chose; once."""
        done = await self.s.execute(
            update(MissionSubmission).where(MissionSubmission.id == draft_id,
                                            MissionSubmission.partner_id == partner_id,
                                            MissionSubmission.status == Review.DRAFT.value)
            .values(mission_id=mission_id, status=Review.WAITING.value))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def review(self, submission_id: int, verdict: Review, by: str, now: datetime, *,
                     feedback: str | None = None, target_met: bool = False) -> bool:
        """Approves or asks for a change; only a submission still waiting (one verdict)."""
        done = await self.s.execute(
            update(MissionSubmission).where(MissionSubmission.id == submission_id,
                                            MissionSubmission.status == Review.WAITING.value)
            .values(status=verdict.value, reviewed_by=by[:120], reviewed_at=now,
                    feedback=feedback[:MAX_TEXT] if feedback else None,
                    target_met=target_met))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def waiting(self, limit: int = 50) -> list[SubmissionRecord]:
        rows = (await self.s.execute(
            select(MissionSubmission).where(MissionSubmission.status == Review.WAITING.value)
            .order_by(MissionSubmission.id).limit(limit))).scalars()
        return [_record(r) for r in rows]

    async def reflect(self, partner_id: int, mission_id: str, text: str, now: datetime) -> None:
        self.s.add(MissionReflection(partner_id=partner_id, mission_id=mission_id,
                                     text=text[:MAX_TEXT], created_at=now))
        await self.s.flush()

    async def reflections(self, partner_id: int) -> list[tuple[str, str, datetime]]:
        rows = await self.s.execute(
            select(MissionReflection.mission_id, MissionReflection.text,
                   MissionReflection.created_at)
            .where(MissionReflection.partner_id == partner_id)
            .order_by(MissionReflection.id))
        return [(m, t, at) for m, t, at in rows.all()]

    async def submissions(self, partner_id: int) -> list[SubmissionRecord]:
        rows = (await self.s.execute(
            select(MissionSubmission).where(MissionSubmission.partner_id == partner_id)
            .order_by(MissionSubmission.id))).scalars()
        return [_record(r) for r in rows]


# --- spaced review --------------------------------------------------------------------------

# after a miss: 1 day; then 3 days; then 7; right at the 7-day review: mastered
INTERVALS = (timedelta(days=1), timedelta(days=3), timedelta(days=7))
QA_T = cast(Table, QuizAttempt.__table__)
QA = QA_T.c
QN_T = cast(Table, QuizAnswer.__table__)
QN = QN_T.c
# how far back the sync looks for finished attempts (it runs every planner interval)
SYNC_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    partner_id: int
    quiz_id: str
    question_id: str
    box: int
    due_at: datetime
    mastered: bool


class ReviewRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def sync(self, now: datetime) -> int:
        """Turns the questions missed in recently finished quizzes into review items, due a
        day after the quiz (a question already under review keeps its place)."""
        missed = (select(QA.partner_id, QA.quiz_id, QN.question_id,
                         func.max(QA.finished_at).label("at"))
                  .select_from(QN_T).join(QA_T, QA.id == QN.attempt_id)
                  .where(QN.correct.is_(False), QA.finished_at.is_not(None),
                         QA.finished_at >= now - SYNC_WINDOW)
                  .group_by(QA.partner_id, QA.quiz_id, QN.question_id))
        rows = (await self.s.execute(missed)).all()
        if not rows:
            return 0
        have = set((await self.s.execute(
            select(RI.partner_id, RI.quiz_id, RI.question_id).where(
                RI.partner_id.in_(sorted({r[0] for r in rows}))))).all())
        added = 0
        for pid, quiz, question, at in rows:
            if (pid, quiz, question) in have:
                continue
            self.s.add(ReviewItem(partner_id=pid, quiz_id=quiz, question_id=question, box=0,
                                  due_at=at + INTERVALS[0], mastered=False, updated_at=now))
            added += 1
        await self.s.flush()
        return added

    async def get(self, item_id: int) -> ReviewRecord | None:
        r = await self.s.get(ReviewItem, item_id)
        if r is None:
            return None
        return ReviewRecord(r.id, r.partner_id, r.quiz_id, r.question_id, r.box, r.due_at,
                            r.mastered)

    async def answer(self, item: ReviewRecord, right: bool, now: datetime) -> ReviewRecord:
        """Right: the next, longer interval (mastered after the last); wrong: back to the
        first. Only the box the question was asked in counts (a second tap is stale)."""
        box = item.box + 1 if right else 0
        mastered = right and box >= len(INTERVALS)
        due = now + INTERVALS[min(box, len(INTERVALS) - 1)]
        done = await self.s.execute(
            update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.box == item.box,
                                     ReviewItem.mastered.is_(False))
            .values(box=min(box, len(INTERVALS) - 1), due_at=due, mastered=mastered,
                    asked_at=now, updated_at=now))
        if not done.rowcount:  # type: ignore[attr-defined]
            return item
        return ReviewRecord(item.id, item.partner_id, item.quiz_id, item.question_id,
                            min(box, len(INTERVALS) - 1), due, mastered)


# --- certificates ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CertRecord:
    code: str
    partner_id: int | None
    pack_id: str
    name: str
    issued_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None


def _cert(r: Certificate) -> CertRecord:
    return CertRecord(r.code, r.partner_id, r.pack_id, r.name, r.issued_at, r.revoked_at,
                      r.revoked_by)


class CertificateRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def candidates(self) -> list[tuple[int, str]]:
        """Partners who passed the final quiz and hold no certificate yet, with their pack
        (their required missions are checked by the caller)."""
        rows = await self.s.execute(
            select(PTC.id, PTC.pack_id).where(
                PTC.role == "partner",
                select(QA.id).where(QA.partner_id == PTC.id, QA.quiz_id == "final",
                                    QA.passed.is_(True)).exists(),
                ~select(CT.id).where(CT.partner_id == PTC.id).exists())
            .order_by(PTC.id))
        return [(pid, pack) for pid, pack in rows.all()]

    async def approved(self, partner_ids: list[int],
                       missions: list[str]) -> set[tuple[int, str]]:
        """Which of these partners had which of these missions approved."""
        if not partner_ids or not missions:
            return set()
        rows = await self.s.execute(
            select(MS.partner_id, MS.mission_id).where(
                MS.partner_id.in_(partner_ids), MS.mission_id.in_(missions),
                MS.status == Review.APPROVED.value).distinct())
        return {(pid, mid) for pid, mid in rows.all()}

    async def passed_final_at(self, partner_id: int) -> datetime | None:
        return (await self.s.execute(
            select(func.min(QA.finished_at)).where(QA.partner_id == partner_id,
                                                   QA.quiz_id == "final",
                                                   QA.passed.is_(True)))).scalar_one()

    async def issue(self, partner_id: int, pack_id: str, name: str, code: str,
                    now: datetime) -> CertRecord:
        row = Certificate(code=code, partner_id=partner_id, pack_id=pack_id, name=name[:200],
                          issued_at=now)
        self.s.add(row)
        await self.s.flush()
        return _cert(row)

    async def by_code(self, code: str) -> CertRecord | None:
        row = (await self.s.execute(select(Certificate).where(
            Certificate.code == code.strip().upper()))).scalar_one_or_none()
        return _cert(row) if row is not None else None

    async def of_partner(self, partner_id: int) -> list[CertRecord]:
        rows = (await self.s.execute(select(Certificate).where(
            Certificate.partner_id == partner_id).order_by(Certificate.id))).scalars()
        return [_cert(r) for r in rows]

    async def revoke(self, code: str, by: str, now: datetime) -> bool:
        done = await self.s.execute(
            update(Certificate).where(Certificate.code == code.strip().upper(),
                                      Certificate.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=by[:120]))
        return bool(done.rowcount)  # type: ignore[attr-defined]


@dataclass
class PartnerMissions:
    """One partner's missions as the cohort report reads them."""

    timezone: str
    onboarded_at: datetime | None
    finished: dict[str, datetime]
    latest: dict[str, str]
    target_met: set[str]


class MissionReport:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def partners(self, partner_ids: list[int],
                       modules: list[str]) -> dict[int, PartnerMissions]:
        out: dict[int, PartnerMissions] = {}
        for start in range(0, len(partner_ids), 5000):
            ids = partner_ids[start:start + 5000]
            rows = await self.s.execute(select(PTC.id, PTC.timezone, PTC.onboarded_at).where(
                PTC.id.in_(ids)))
            for pid, tz, onboarded in rows.all():
                out[pid] = PartnerMissions(tz, onboarded, {}, {}, set())
            done = await self.s.execute(select(MP.partner_id, MP.module_id, MP.completed_at)
                                        .where(MP.partner_id.in_(ids),
                                               MP.module_id.in_(modules),
                                               MP.completed_at.is_not(None)))
            for pid, mid, at in done.all():
                out[pid].finished[mid] = at
            subs = await self.s.execute(
                select(MS.partner_id, MS.mission_id, MS.status, MS.target_met).where(
                    MS.partner_id.in_(ids), MS.status != Review.DRAFT.value).order_by(MS.id))
            for pid, mission, status, met in subs.all():
                out[pid].latest[mission] = status
                if met:
                    out[pid].target_met.add(mission)
        return out

    async def waiting(self) -> int:
        return int((await self.s.execute(select(func.count()).where(
            MS.status == Review.WAITING.value))).scalar_one())
