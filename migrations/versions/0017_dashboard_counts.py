"""dashboard figures kept current by the database: per-partner facts and per-cohort counters (issue 18)

Every change to a partner's learning state (a finished module, a quiz attempt or answer, a
rating, an approved mission, the partner's cohort, background, role, onboarding, opt-out)
re-derives that partner's facts (`dash_facts`, a few rows each) in the same statement, by
trigger; a fact added or removed adds to or subtracts from `dash_counts`, small counters per
cohort, background and shard. The dashboard sums a few hundred counter rows instead of
counting 100,000 partners. Triggers, not application hooks, because the state changes come
from several features, the CLI, bulk `UPDATE`s and cascaded deletes: the database sees them
all, in the transaction that makes them.

Revision ID: 0017
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Counters are split by partner id into this many shards, so partners of one cohort changing
# at the same time rarely wait on the same counter row.
SHARDS = 8
LOCK = 1817  # advisory lock class of a partner's dashboard facts (PostgreSQL)
KEY = ("kind", "k1", "k2", "k3", "cohort_id", "background")
COLS = ("partner_id", *KEY, "n", "s")
WHO = ("p.id AS partner_id, COALESCE(p.cohort_id, 0) AS cohort_id, "
       "COALESCE(p.background, 'other') AS background")

# One SELECT per kind of fact, for the partners matching {w}: who (partner, cohort,
# background), what (kind, k1-k3) and two numbers (n, s). Only the partner role counts.
FACTS = {
    # n: onboarded; s: still in the program (not opted out, final quiz not passed)
    "partner": f"""SELECT {WHO}, 'partner' AS kind, '' AS k1, '' AS k2, '' AS k3,
        CASE WHEN p.onboarded_at IS NOT NULL THEN 1 ELSE 0 END AS n,
        CASE WHEN p.opted_out OR EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.partner_id = p.id
            AND a.quiz_id = 'final' AND a.passed) THEN 0 ELSE 1 END AS s
        FROM partners p WHERE p.role = 'partner' AND {{w}}""",
    "module": f"""SELECT {WHO}, 'module' AS kind, mp.module_id AS k1, '' AS k2, '' AS k3,
        1 AS n, 0 AS s
        FROM partners p JOIN module_progress mp ON mp.partner_id = p.id
        WHERE p.role = 'partner' AND mp.completed_at IS NOT NULL AND {{w}}""",
    "mission": f"""SELECT {WHO}, 'mission' AS kind, ms.mission_id AS k1, '' AS k2, '' AS k3,
        1 AS n, 0 AS s
        FROM partners p JOIN mission_submissions ms ON ms.partner_id = p.id
        WHERE p.role = 'partner' AND ms.status = 'approved' AND {{w}}
        GROUP BY p.id, ms.mission_id, p.cohort_id, p.background""",
    # n: finished attempts; s: passed at least once
    "quiz": f"""SELECT {WHO}, 'quiz' AS kind, a.quiz_id AS k1, '' AS k2, '' AS k3,
        COUNT(*) AS n, MAX(CASE WHEN a.passed THEN 1 ELSE 0 END) AS s
        FROM partners p JOIN quiz_attempts a ON a.partner_id = p.id
        WHERE p.role = 'partner' AND a.finished_at IS NOT NULL AND {{w}}
        GROUP BY p.id, a.quiz_id, p.cohort_id, p.background""",
    # one rating per partner, phase and statement: n 1, s the rating
    "rating": f"""SELECT {WHO}, 'rating' AS kind, r.phase AS k1, r.statement_id AS k2,
        '' AS k3, 1 AS n, r.rating AS s
        FROM partners p JOIN assessment_answers r ON r.partner_id = p.id
        WHERE p.role = 'partner' AND {{w}}""",
    # n: answers with this option; s: of them correct
    "answer": f"""SELECT {WHO}, 'answer' AS kind, a.quiz_id AS k1, q.question_id AS k2,
        q.option_id AS k3, COUNT(*) AS n, SUM(CASE WHEN q.correct THEN 1 ELSE 0 END) AS s
        FROM partners p JOIN quiz_attempts a ON a.partner_id = p.id
        JOIN quiz_answers q ON q.attempt_id = a.id
        WHERE p.role = 'partner' AND {{w}}
        GROUP BY p.id, a.quiz_id, q.question_id, q.option_id, p.cohort_id, p.background""",
}
ALL = tuple(FACTS)

# table -> (how to find the partner from a row, which kinds of facts its rows feed)
SOURCES = {
    "module_progress": ("{row}.partner_id", ("module",)),
    "mission_submissions": ("{row}.partner_id", ("mission",)),
    "quiz_attempts": ("{row}.partner_id", ("partner", "quiz", "answer")),
    "quiz_answers": ("(SELECT partner_id FROM quiz_attempts WHERE id = {row}.attempt_id)",
                     ("answer",)),
    "assessment_answers": ("{row}.partner_id", ("rating",)),
}
PARTNER_COLUMNS = "cohort_id, background, role, onboarded_at, opted_out"


def refresh(kind: str, pid: str) -> list[str]:
    """Statements that make one partner's facts of one kind match their rows: remove the facts
    that changed, add the new ones (unchanged facts leave the counters alone)."""
    fact = FACTS[kind].format(w=f"p.id = {pid}")
    cols = ", ".join(COLS)
    same = " AND ".join(f"v.{c} = {{t}}.{c}" for c in (*KEY[1:], "n", "s"))
    return [
        f"""DELETE FROM dash_facts WHERE partner_id = {pid} AND kind = '{kind}'
            AND NOT EXISTS (SELECT 1 FROM ({fact}) v WHERE {same.format(t='dash_facts')})""",
        f"""INSERT INTO dash_facts ({cols}) SELECT {cols} FROM ({fact}) v
            WHERE NOT EXISTS (SELECT 1 FROM dash_facts f WHERE f.partner_id = {pid}
                AND f.kind = '{kind}' AND {same.format(t='f')})""",
    ]


def _counts_from_facts() -> str:
    key = ", ".join(KEY)
    return (f"INSERT INTO dash_counts ({key}, shard, m, n, s) "
            f"SELECT {key}, partner_id % {SHARDS}, COUNT(*), SUM(n), SUM(s) FROM dash_facts "
            f"GROUP BY {key}, partner_id % {SHARDS}")


def _all_facts() -> list[str]:
    cols = ", ".join(COLS)
    return [f"INSERT INTO dash_facts ({cols}) SELECT {cols} FROM ({FACTS[k].format(w='TRUE')}) v" for k in ALL]


_COUNT_ADD = (f"INSERT INTO dash_counts ({', '.join(KEY)}, shard, m, n, s) VALUES "
              f"(NEW.kind, NEW.k1, NEW.k2, NEW.k3, NEW.cohort_id, NEW.background, "
              f"NEW.partner_id % {SHARDS}, 1, NEW.n, NEW.s) "
              f"ON CONFLICT ({', '.join(KEY)}, shard) DO UPDATE SET m = dash_counts.m + 1, "
              f"n = dash_counts.n + excluded.n, s = dash_counts.s + excluded.s")
_COUNT_SUB = ("UPDATE dash_counts SET m = m - 1, n = n - OLD.n, s = s - OLD.s WHERE "
              + " AND ".join(f"{c} = OLD.{c}" for c in KEY)
              + f" AND shard = OLD.partner_id % {SHARDS}")


def _tables() -> None:
    op.create_table(
        "dash_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("k1", sa.String(length=64), nullable=False),
        sa.Column("k2", sa.String(length=64), nullable=False),
        sa.Column("k3", sa.String(length=64), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("background", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("s", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dash_facts")),
        sa.UniqueConstraint("partner_id", "kind", "k1", "k2", "k3",
                            name=op.f("uq_dash_facts_partner_id_kind_k1_k2_k3")),
    )
    op.create_table(
        "dash_counts",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("k1", sa.String(length=64), nullable=False),
        sa.Column("k2", sa.String(length=64), nullable=False),
        sa.Column("k3", sa.String(length=64), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("background", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("m", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "k1", "k2", "k3", "cohort_id", "background", "shard",
                                name=op.f("pk_dash_counts")),
    )


def _postgres() -> list[str]:
    body = []
    for kind in ALL:
        stmts = ";\n".join(refresh(kind, "pid"))
        body.append(f"IF '{kind}' = ANY(kinds) THEN\n{stmts};\nEND IF;")
    out = [
        # one refresh of a partner at a time: two transactions changing the same partner's
        # rows (two coaches reviewing their missions) would each see the other's change
        # missing under READ COMMITTED and could delete a fact the other keeps; waiting for
        # the lock, the second one's statements see the first one committed
        "CREATE FUNCTION dash_refresh(pid integer, kinds text[]) RETURNS void AS $$\nBEGIN\n"
        f"PERFORM pg_advisory_xact_lock({LOCK}, pid);\n"
        + "\n".join(body) + "\nEND $$ LANGUAGE plpgsql",
        f"CREATE FUNCTION dash_count() RETURNS trigger AS $$\nBEGIN\n"
        f"IF TG_OP = 'INSERT' THEN {_COUNT_ADD}; ELSE {_COUNT_SUB}; END IF;\n"
        f"RETURN NULL;\nEND $$ LANGUAGE plpgsql",
        "CREATE TRIGGER dash_count AFTER INSERT OR DELETE ON dash_facts "
        "FOR EACH ROW EXECUTE FUNCTION dash_count()",
        # a recount from scratch (the upgrade, a bulk load): counters summed at once
        "CREATE FUNCTION dash_rebuild() RETURNS void AS $$\nBEGIN\n"
        "ALTER TABLE dash_facts DISABLE TRIGGER dash_count;\n"
        "TRUNCATE dash_facts, dash_counts;\n"
        + ";\n".join(_all_facts()) + ";\n" + _counts_from_facts() + ";\n"
        "ALTER TABLE dash_facts ENABLE TRIGGER dash_count;\nEND $$ LANGUAGE plpgsql",
    ]
    for table, (pid, kinds) in SOURCES.items():
        arr = "ARRAY[" + ", ".join(f"'{k}'" for k in kinds) + "]"
        out.append(
            f"CREATE FUNCTION dash_on_{table}() RETURNS trigger AS $$\n"
            f"DECLARE old_pid integer; new_pid integer;\nBEGIN\n"
            f"IF TG_OP <> 'INSERT' THEN old_pid := {pid.format(row='OLD')}; END IF;\n"
            f"IF TG_OP <> 'DELETE' THEN new_pid := {pid.format(row='NEW')}; END IF;\n"
            f"IF old_pid IS NOT NULL AND old_pid IS DISTINCT FROM new_pid THEN "
            f"PERFORM dash_refresh(old_pid, {arr}); "
            f"END IF;\n"
            f"IF new_pid IS NOT NULL THEN PERFORM dash_refresh(new_pid, {arr}); END IF;\n"
            f"RETURN NULL;\nEND $$ LANGUAGE plpgsql")
        out.append(f"CREATE TRIGGER dash_on_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION dash_on_{table}()")
    every = "ARRAY[" + ", ".join(f"'{k}'" for k in ALL) + "]"
    out += [
        f"CREATE FUNCTION dash_on_partners() RETURNS trigger AS $$\nBEGIN\n"
        f"IF TG_OP = 'DELETE' THEN DELETE FROM dash_facts WHERE partner_id = OLD.id;\n"
        f"ELSE PERFORM dash_refresh(NEW.id, {every}); END IF;\n"
        f"RETURN NULL;\nEND $$ LANGUAGE plpgsql",
        "CREATE TRIGGER dash_on_partners_insert AFTER INSERT OR DELETE ON partners "
        "FOR EACH ROW EXECUTE FUNCTION dash_on_partners()",
        # last_active_at changes on every message: only what the figures group or count by
        f"CREATE TRIGGER dash_on_partners_update AFTER UPDATE OF {PARTNER_COLUMNS} "
        f"ON partners FOR EACH ROW WHEN ("
        + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in PARTNER_COLUMNS.split(", "))
        + ") EXECUTE FUNCTION dash_on_partners()",
        "SELECT dash_rebuild()",
    ]
    return out


def _sqlite() -> list[str]:
    out = [*_all_facts(), _counts_from_facts(),
           f"CREATE TRIGGER dash_count_add AFTER INSERT ON dash_facts BEGIN {_COUNT_ADD}; END",
           f"CREATE TRIGGER dash_count_sub AFTER DELETE ON dash_facts BEGIN {_COUNT_SUB}; END"]
    for table, (pid, kinds) in SOURCES.items():
        for event, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",)),
                            ("UPDATE", ("OLD", "NEW"))):
            stmts = [s for row in rows for k in kinds for s in refresh(k, pid.format(row=row))]
            out.append(f"CREATE TRIGGER dash_on_{table}_{event.lower()} AFTER {event} ON "
                       f"{table} BEGIN " + "; ".join(stmts) + "; END")
    refresh_all = "; ".join(s for k in ALL for s in refresh(k, "NEW.id"))
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in PARTNER_COLUMNS.split(", "))
    out += [
        f"CREATE TRIGGER dash_on_partners_insert AFTER INSERT ON partners "
        f"BEGIN {refresh_all}; END",
        f"CREATE TRIGGER dash_on_partners_update AFTER UPDATE OF {PARTNER_COLUMNS} ON partners "
        f"WHEN {changed} BEGIN {refresh_all}; END",
        "CREATE TRIGGER dash_on_partners_delete AFTER DELETE ON partners "
        "BEGIN DELETE FROM dash_facts WHERE partner_id = OLD.id; END",
    ]
    return out


def upgrade() -> None:
    _tables()
    pg = op.get_bind().dialect.name == "postgresql"
    for stmt in _postgres() if pg else _sqlite():
        op.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in (*SOURCES, "partners"):
            op.execute(f"DROP FUNCTION IF EXISTS dash_on_{t}() CASCADE")
        for f in ("dash_count()", "dash_rebuild()", "dash_refresh(integer, text[])"):
            op.execute(f"DROP FUNCTION IF EXISTS {f} CASCADE")
    else:
        for t in SOURCES:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS dash_on_{t}_{event}")
        for name in ("partners_insert", "partners_update", "partners_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS dash_on_{name}")
    op.drop_table("dash_counts")
    op.drop_table("dash_facts")
