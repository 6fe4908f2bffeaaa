"""One-time sign-in links to the coaches' dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base
from bot.storage.models import OutboxMessage, Partner
from handlers.learning.models import AssessmentAnswer, ModuleProgress, QuizAnswer, QuizAttempt


class DashboardLink(Base):
    """A sign-in link: only its hash is stored, so a database dump signs nobody in."""

    __tablename__ = "dashboard_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashFact(Base):
    """One partner's contribution to the dashboard's figures (a few rows per partner), kept
    current by database triggers on the tables it is derived from (migration 0017)."""

    __tablename__ = "dash_facts"
    __table_args__ = (UniqueConstraint("partner_id", "kind", "k1", "k2", "k3"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    k1: Mapped[str] = mapped_column(String(64))
    k2: Mapped[str] = mapped_column(String(64))
    k3: Mapped[str] = mapped_column(String(64))
    cohort_id: Mapped[int]  # 0: no cohort
    background: Mapped[str] = mapped_column(String(32))
    n: Mapped[int]
    s: Mapped[int]


class DashCount(Base):
    """The facts summed per cohort, background and kind (m: how many partners), in a few
    shards so partners changing at once rarely wait on the same row. Written only by the
    triggers on `dash_facts`."""

    __tablename__ = "dash_counts"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    k1: Mapped[str] = mapped_column(String(64), primary_key=True)
    k2: Mapped[str] = mapped_column(String(64), primary_key=True)
    k3: Mapped[str] = mapped_column(String(64), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(primary_key=True)
    background: Mapped[str] = mapped_column(String(32), primary_key=True)
    shard: Mapped[int] = mapped_column(primary_key=True)
    m: Mapped[int] = mapped_column(BigInteger)
    n: Mapped[int] = mapped_column(BigInteger)
    s: Mapped[int] = mapped_column(BigInteger)


# The dashboard's aggregates read these narrow indexes instead of the wide rows (index-only
# scans on PostgreSQL): partners by cohort, finished modules, quiz results, ratings.
DASHBOARD_INDEXES = (
    Index("ix_partners_cohort_role", Partner.cohort_id, Partner.role, Partner.onboarded_at),
    Index("ix_partners_role", Partner.role),
    Index("ix_module_progress_done", ModuleProgress.module_id, ModuleProgress.completed_at,
          ModuleProgress.partner_id),
    Index("ix_quiz_attempts_results", QuizAttempt.quiz_id, QuizAttempt.passed,
          QuizAttempt.partner_id, QuizAttempt.finished_at),
    Index("ix_quiz_answers_items", QuizAnswer.attempt_id, QuizAnswer.question_id,
          QuizAnswer.correct, QuizAnswer.option_id),
    # a broadcast's progress counts its outbox rows by key prefix (LIKE 'bc:7:%') and status,
    # with the latest sent_at, from this index alone (migration 0012)
    Index("ix_outbox_dedupe_status", OutboxMessage.dedupe_key, OutboxMessage.status,
          postgresql_ops={"dedupe_key": "text_pattern_ops"},
          postgresql_include=["sent_at"]),
    Index("ix_assessment_answers_partner_rating", AssessmentAnswer.partner_id,
          AssessmentAnswer.phase, AssessmentAnswer.statement_id, AssessmentAnswer.rating),
)
