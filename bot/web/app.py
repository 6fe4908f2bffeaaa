"""The dashboard's pages and actions (Starlette + Jinja2, server-rendered).

Every page and action checks the signed session and the coach role; every form carries a
CSRF token. Actions a coach can also take in chat go through the same code: a ticket's answer
is the coach's `/reply` handled by the bot, so it reaches the partner like a chat reply.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import CoachBot
from bot.core import Inbound
from bot.core.timezones import fmt_local, parse_local
from bot.storage.repos import PartnerRecord, Repos
from bot.web import charts
from bot.web.auth import COOKIE, SESSION_LIFETIME, Session, Signer
from bot.web.cache import FigureCache
from handlers.audience import segments
from handlers.audience.segments import Audience, SegmentError
from handlers.broadcasts.service import BroadcastError, Broadcasts
from handlers.coaches.partner import PartnerButton
from handlers.coaches.profile import gather
from handlers.dashboard.faq_entries import EntryRefused, add_entry
from handlers.dashboard.figures import Figures
from handlers.dashboard.links import LinkRepo
from handlers.faq.engine import asked
from handlers.faq.gaps import group_questions
from handlers.faq.repo import FaqLogRepo
from handlers.kit.context import COACH_ROLES
from handlers.tickets.repo import TicketRepo
from handlers.webinars.service import WebinarError, Webinars
from scheduler.outbox import Outbox
from scheduler.scope import Scope

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
LANG_COOKIE = "coachbot_lang"
BACKGROUNDS = ("student", "fresh_graduate", "worker", "other")
MAX_FORM_TEXT = 4096
MAX_GAP_QUESTIONS = 200


@dataclass
class Cell:
    text: str
    href: str | None = None


@dataclass
class Table:
    """A table as a page shows it and as its CSV export writes it."""

    name: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([c if isinstance(c, Cell) else Cell("" if c is None else str(c))
                          for c in cells])

    def html(self, limit: int = 300) -> Markup:
        """The table's first `limit` rows (a phone shows each row as labelled lines)."""
        labels = [escape(h) for h in self.headers]
        out = [f'<div class="scroll"><table id="{escape(self.name)}"><thead><tr>',
               *(f"<th>{h}</th>" for h in labels), "</tr></thead><tbody>"]
        for row in self.rows[:limit]:
            out.append("<tr>")
            for label, c in zip(labels, row, strict=False):
                text = escape(c.text)
                cell = f'<a href="{escape(c.href)}">{text}</a>' if c.href else text
                out.append(f'<td data-label="{label}">{cell}</td>')
            out.append("</tr>")
        out.append("</tbody></table></div>")
        return Markup("".join(out))

    def csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(self.headers)
        for row in self.rows:
            w.writerow([c.text for c in row])
        return buf.getvalue()


@dataclass
class Visit:
    """One request by a signed-in coach: who, in which language, and their CSRF token."""

    request: Request
    coach: PartnerRecord
    session: Session
    lang: str
    csrf: str

    @property
    def limit(self) -> int | None:
        """How many rows a long list needs: a page shows a few hundred, its CSV all."""
        return None if self.request.query_params.get("csv") else 301


class Dashboard:
    def __init__(self, bot: CoachBot, secret: str | None = None):
        self.bot = bot
        self.signer = Signer(secret or bot.settings.dashboard_secret)
        self.figures = FigureCache(bot.clock, bot.settings.dashboard_figures_max_age)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(["html"]))

    # --- plumbing ---------------------------------------------------------------------

    @property
    def pack_id(self) -> str:
        return self.bot.settings.default_pack

    def t(self, lang: str, key: str, **kw: Any) -> str:
        return self.bot.library.t(self.pack_id, lang, key, **kw)

    def when(self, value: Any) -> str:
        return fmt_local(value, self.bot.settings.coach_timezone) if value else ""

    @asynccontextmanager
    async def repos(self) -> AsyncIterator[Repos]:
        async with self.bot.db.transaction() as session:
            yield Repos(session)

    def _lang(self, request: Request, fallback: str) -> str:
        lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or fallback
        return lang if lang in ("id", "en") else "id"

    def render(self, request: Request, lang: str, template: str, status: int = 200,
               visit: Visit | None = None, **values: Any) -> HTMLResponse:
        body = self.env.get_template(template).render(
            t=lambda key, **kw: self.t(lang, key, **kw), lang=lang, visit=visit,
            path=request.url.path, query=str(request.query_params), when=self.when, **values)
        response = HTMLResponse(body, status_code=status)
        if request.query_params.get("lang") in ("id", "en"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True,
                                samesite="lax")
        return response

    def refuse(self, request: Request, status: int, key: str) -> HTMLResponse:
        lang = self._lang(request, "id")
        return self.render(request, lang, "message.html", status=status,
                           heading=self.t(lang, f"{key}_title"), text=self.t(lang, key))

    async def visit(self, request: Request) -> Visit | HTMLResponse:
        """The signed-in coach, or the page that says why not."""
        now = self.bot.clock.now()
        session = self.signer.read(request.cookies.get(COOKIE), now)
        if session is None:
            return self.refuse(request, 401, "web_signed_out")
        async with self.repos() as repos:
            coach = await repos.partners.by_id(session.coach_id)
        if coach is None or coach.role not in COACH_ROLES:
            return self.refuse(request, 403, "web_not_coach")
        return Visit(request, coach, session, self._lang(request, coach.language),
                     self.signer.csrf(session))

    def page(self, fn: Callable[[Visit], Awaitable[Response]]
             ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            v = await self.visit(request)
            return v if isinstance(v, Response) else await fn(v)
        return endpoint

    def action(self, fn: Callable[[Visit, dict[str, str]], Awaitable[Response]]
               ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            v = await self.visit(request)
            if isinstance(v, Response):
                return v
            form = {k: str(val)[:MAX_FORM_TEXT] for k, val in (await request.form()).items()}
            if not self.signer.csrf_ok(v.session, form.get("csrf")):
                return self.refuse(request, 403, "web_csrf")
            return await fn(v, form)
        return endpoint

    def show(self, v: Visit, template: str, tables: list[Table] | None = None,
             **values: Any) -> Response:
        """A page, or one of its tables as CSV (`?csv=<table name>`)."""
        wanted = v.request.query_params.get("csv")
        if wanted:
            for table in tables or []:
                if table.name == wanted:
                    return Response(table.csv(), media_type="text/csv; charset=utf-8",
                                    headers={"Content-Disposition":
                                             f'attachment; filename="{table.name}.csv"'})
            return self.refuse(v.request, 404, "web_not_found")
        return self.render(v.request, v.lang, template, visit=v, tables=tables or [], **values)

    def cohort_param(self, v: Visit) -> str | None:
        code = v.request.query_params.get("cohort", "").strip()
        return code[:32] or None

    # --- sign-in ------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        token = request.path_params["token"]
        now = self.bot.clock.now()
        async with self.repos() as repos:
            spent = await repos.get(LinkRepo).spend(token, now)
            coach = await repos.partners.by_id(spent.coach_id) if spent.coach_id else None
        if spent.refused is not None:
            return self.refuse(request, 403, f"web_link_{spent.refused.value}")
        if coach is None or coach.role not in COACH_ROLES:
            return self.refuse(request, 403, "web_not_coach")
        response = RedirectResponse("/cohorts", status_code=303)
        response.set_cookie(COOKIE, self.signer.issue(coach.id, now),
                            max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        log.info("coach %s signed in to the dashboard", coach.id)
        return response

    async def logout(self, v: Visit, form: dict[str, str]) -> Response:
        response = self.refuse(v.request, 200, "web_signed_out_done")
        response.delete_cookie(COOKIE)
        return response

    # --- cohorts ------------------------------------------------------------------------

    async def cohorts(self, v: Visit) -> Response:
        code = self.cohort_param(v)
        s = self.bot.settings
        # read on every request: the counters are current (kept by the database)
        async with self.repos() as repos:
            fig = repos.get(Figures)
            groups, rates = await fig.cohorts(), await fig.pass_rates(code)
            pack_id = await fig.cohort_pack(code)
            funnel = await fig.funnel(code, groups, rates)
            n_stalled, stalled = await fig.stalled(code, self.bot.clock.now(),
                                                   timedelta(days=s.report_stalled_days))
        pack = self.bot.library.fallback(pack_id, s.default_pack)
        t = v.lang
        steps = [(self.t(t, "web_joined"), funnel.joined),
                 (self.t(t, "web_onboarded"), funnel.onboarded)]
        steps += [(pack.modules[m].title.get(t), funnel.modules.get(m, 0))
                  for m in pack.module_order if m in pack.modules]
        steps.append((self.t(t, "web_final_passed"), funnel.final_passed))
        steps += [(self.t(t, "web_mission_done", mission=m.title.get(t)),
                   funnel.missions.get(m.id, 0)) for m in pack.missions.values()]
        ft = Table("funnel", [self.t(t, "web_step"), self.t(t, "web_partners")])
        for label, n in steps:
            ft.add(label, n)
        ct = Table("cohorts", [self.t(t, "web_cohort"), self.t(t, "web_name"),
                               self.t(t, "web_pack"), self.t(t, "web_partners")])
        for g in groups:
            ct.add(Cell(g.code, f"/cohorts?cohort={g.code}"), g.name, g.pack_id, g.partners)
        rt = Table("pass_rates", [self.t(t, "web_quiz"), self.t(t, "web_attempted"),
                                  self.t(t, "web_passed"), self.t(t, "web_pass_rate"),
                                  self.t(t, "web_attempts")])
        for r in rates:
            pct = f"{round(100 * r.passed / r.attempted)}%" if r.attempted else "-"
            rt.add(r.quiz_id, r.attempted, r.passed, pct, r.attempts)
        st = Table("stalled", [self.t(t, "web_partner"), self.t(t, "web_stopped_at"),
                               self.t(t, "web_idle_days")])
        now = self.bot.clock.now()
        for p in stalled:
            st.add(Cell(p.name or p.external_id, f"/partners/{p.partner_id}"),
                   self._stopped_at(p.state, p.module_id, p.step_id, pack, t),
                   (now - p.last_active_at).days)
        chart = charts.funnel(steps, self.t(t, "web_funnel"))
        return self.show(v, "cohorts.html", [ft, rt, st, ct], chart=chart, code=code,
                         groups=groups, n_stalled=n_stalled)

    def _stopped_at(self, state: str, module_id: str | None, step_id: str | None,
                    pack: Any, lang: str) -> str:
        """Where a partner stopped, in the coach's words: the module and step, or the stage."""
        module = pack.modules.get(module_id) if module_id else None
        if state == "quiz":
            return self.t(lang, "web_state_quiz", quiz=module.title.get(lang) if module
                          else self.t(lang, "web_final_quiz"))
        if module is not None:
            return f"{module.title.get(lang)} · {step_id or '-'}"
        if state == "new" or state.startswith("onboard"):
            return self.t(lang, "web_state_onboarding")
        if state.startswith("assess"):
            return self.t(lang, "web_state_assessing")
        return self.t(lang, "web_state_menu")

    # --- readiness ----------------------------------------------------------------------

    async def readiness(self, v: Visit) -> Response:
        code = self.cohort_param(v)
        bg = v.request.query_params.get("background", "")
        bg = bg if bg in BACKGROUNDS else ""
        async with self.repos() as repos:
            fig = repos.get(Figures)
            groups, pack_id = await fig.cohort_codes(), await fig.cohort_pack(code)
            rows = await fig.readiness(code, bg or None)
        pack = self.bot.library.fallback(pack_id, self.bot.settings.default_pack)
        rows = list(rows)
        t = v.lang
        texts = {s.id: s.text.get(t) for s in pack.assessment.statements}
        order = {s.id: i for i, s in enumerate(pack.assessment.statements)}
        rows.sort(key=lambda r: (r.background, order.get(r.statement_id, 99)))
        overall = [r for r in rows if r.background == ""]
        chart = charts.before_after(
            [(texts.get(r.statement_id, r.statement_id), r.before, r.after) for r in overall],
            self.t(t, "web_readiness"), self.t(t, "web_before"), self.t(t, "web_after"))
        table = Table("readiness", [self.t(t, "web_background"), self.t(t, "web_statement"),
                                    self.t(t, "web_before"), self.t(t, "web_after"),
                                    self.t(t, "web_change"), self.t(t, "web_answers")])
        for r in rows:
            change = (f"{r.after - r.before:+.1f}" if r.before is not None
                      and r.after is not None else "-")
            table.add(self.t(t, f"background_{r.background}") if r.background
                      else self.t(t, "web_everyone"),
                      texts.get(r.statement_id, r.statement_id),
                      f"{r.before:.2f}" if r.before is not None else "-",
                      f"{r.after:.2f}" if r.after is not None else "-", change,
                      f"{r.before_n} / {r.after_n}")
        return self.show(v, "readiness.html", [table], chart=chart, code=code, groups=groups,
                         background=bg, backgrounds=BACKGROUNDS)

    # --- quiz items ---------------------------------------------------------------------

    async def quiz(self, v: Visit) -> Response:
        code = self.cohort_param(v)
        async with self.repos() as repos:
            fig = repos.get(Figures)
            groups, pack_id = await fig.cohort_codes(), await fig.cohort_pack(code)
            items = await fig.quiz_items(code)
        pack = self.bot.library.fallback(pack_id, self.bot.settings.default_pack)
        t = v.lang
        table = Table("quiz_items", [self.t(t, "web_quiz"), self.t(t, "web_question"),
                                     self.t(t, "web_answers"), self.t(t, "web_miss_rate"),
                                     self.t(t, "web_top_wrong"), self.t(t, "web_fix_in")])
        for it in items:
            quiz = pack.quiz(it.quiz_id)
            question = next((q for q in quiz.questions if q.id == it.question_id),
                            None) if quiz else None
            wrong = ""
            if it.top_wrong is not None:
                opt = next((o for o in question.options if o.id == it.top_wrong),
                           None) if question else None
                wrong = (f"{it.top_wrong}: {opt.text.get(t)}" if opt else it.top_wrong) + (
                    f" ({it.top_wrong_n}×)")
            table.add(it.quiz_id, question.text.get(t) if question else it.question_id,
                      it.answers, f"{round(100 * it.miss_rate)}%", wrong,
                      self._quiz_file(pack.root, it.quiz_id, it.question_id))
        return self.show(v, "quiz.html", [table], code=code, groups=groups)

    @staticmethod
    def _quiz_file(root: Path, quiz_id: str, question_id: str) -> str:
        """Where a coach fixes the question: the pack file and the question's id in it."""
        if quiz_id == "final":
            return f"{root.name}/final_quiz.yaml#{question_id}"
        for path in sorted((root / "modules").glob("*.yaml")):
            head = path.read_text(encoding="utf-8").split("\n", 1)[0]
            if head.strip() == f"id: {quiz_id}":
                return f"{root.name}/modules/{path.name}#{question_id}"
        return f"{root.name}/modules/#{quiz_id}.{question_id}"

    # --- tickets ------------------------------------------------------------------------

    async def tickets(self, v: Visit) -> Response:
        async with self.repos() as repos:
            rows = await repos.get(Figures).open_tickets(100 if v.limit else 2000)
        t = v.lang
        now = self.bot.clock.now()
        table = Table("tickets", ["#", self.t(t, "web_partner"), self.t(t, "web_question"),
                                  self.t(t, "web_status"), self.t(t, "web_waiting")])
        for r in rows:
            minutes = int((now - r.created_at).total_seconds() // 60)
            table.add(Cell(str(r.id), f"/tickets/{r.id}"),
                      Cell(r.name or r.external_id, f"/partners/{r.partner_id}"),
                      r.text[:160] or "-", self.t(t, f"web_ticket_{r.status}"),
                      self.t(t, "web_minutes", n=minutes))
        return self.show(v, "tickets.html", [table])

    async def ticket(self, v: Visit) -> Response:
        ticket_id = _int(v.request.path_params["ticket"])
        async with self.repos() as repos:
            repo = repos.get(TicketRepo)
            ticket = await repo.get(ticket_id) if ticket_id else None
            partner = await repos.partners.by_id(ticket.partner_id) if ticket else None
            messages = await repo.messages(ticket.id) if ticket else []
        if ticket is None or partner is None:
            return self.refuse(v.request, 404, "web_not_found")
        table = Table("thread", [self.t(v.lang, "web_when"), self.t(v.lang, "web_from"),
                                 self.t(v.lang, "web_message")])
        for m in messages:
            table.add(self.when(m.created_at), m.author_name or m.author, m.text)
        return self.show(v, "ticket.html", [table], ticket=ticket, partner=partner,
                         flash=v.request.query_params.get("sent", ""))

    async def answer_ticket(self, v: Visit, form: dict[str, str]) -> Response:
        ticket_id = _int(v.request.path_params["ticket"])
        text = form.get("text", "").strip()
        if not ticket_id:
            return self.refuse(v.request, 404, "web_not_found")
        if not text:
            return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)
        said = await self.as_coach(v.coach, f"/reply {ticket_id} {text}")
        return self.render(v.request, v.lang, "done.html", visit=v, heading=self.t(
            v.lang, "web_answer_sent_title"), text=said, back=f"/tickets/{ticket_id}")

    async def close_ticket(self, v: Visit, form: dict[str, str]) -> Response:
        ticket_id = _int(v.request.path_params["ticket"])
        said = await self.as_coach(v.coach, f"/close {ticket_id}")
        return self.render(v.request, v.lang, "done.html", visit=v, heading=self.t(
            v.lang, "web_ticket_closed_title"), text=said, back="/tickets")

    async def as_coach(self, coach: PartnerRecord, text: str) -> str:
        """The coach says `text` to the bot, as in chat; what the bot answers them."""
        msg = Inbound.from_text(coach.channel, coach.external_id, text, chat_id=coach.chat_id,
                                display_name=coach.name, update_id=f"web:{uuid.uuid4().hex}")
        return "\n".join(r.text for r in await self.bot.handle(msg))

    # --- a partner -----------------------------------------------------------------------

    async def partner(self, v: Visit) -> Response:
        """The same view as /partner in chat, from the coach feature's profile."""
        pid = _int(v.request.path_params["partner"])
        async with self.repos() as repos:
            rec = await repos.partners.by_id(pid) if pid else None
            scope = Scope(repos, self.bot.library, self.bot.settings, self.bot.clock.now(),
                          self.bot.features)
            profile = (await gather(repos, self.bot.library, rec, v.lang, scope=scope)
                       if rec else None)
        if profile is None:
            return self.refuse(v.request, 404, "web_not_found")
        t = v.lang
        quizzes = Table("quizzes", [self.t(t, "web_quiz"), self.t(t, "web_score"),
                                    self.t(t, "web_passed"), self.t(t, "web_missed"),
                                    self.t(t, "web_when")])
        for q in profile.quizzes:
            quizzes.add(q.title, f"{q.score}/{q.total}",
                        self.t(t, "web_yes") if q.passed else self.t(t, "web_no"),
                        ", ".join(q.missed) or "-", self.when(q.at))
        ratings = Table("ratings", [self.t(t, "web_statement"), self.t(t, "web_before"),
                                    self.t(t, "web_after")])
        for r in profile.ratings:
            ratings.add(r.statement, r.before if r.before is not None else "-",
                        r.after if r.after is not None else "-")
        reflections = Table("reflections", [self.t(t, "web_module"), self.t(t, "web_question"),
                                            self.t(t, "web_answer"), self.t(t, "web_when")])
        for f in profile.reflections:
            reflections.add(f.module_title, f.prompt, f.answer, self.when(f.at))
        tickets = Table("partner_tickets", ["#", self.t(t, "web_status"),
                                            self.t(t, "web_question"), self.t(t, "web_when")])
        for k in profile.tickets:
            tickets.add(Cell(str(k.id), f"/tickets/{k.id}"), self.t(t, f"web_ticket_{k.status}"),
                        k.question[:160], self.when(k.opened_at))
        nudges = Table("nudges", [self.t(t, "web_message"), self.t(t, "web_when"),
                                  self.t(t, "web_status")])
        for n in (*profile.nudges_pending, *profile.nudges_sent):
            nudges.add(n.text[:200], self.when(n.sent_at or n.due_at), n.status)
        sections = []
        for section in profile.sections:  # what the other features say (e.g. missions)
            table = Table(section.key, list(section.headers))
            for row in section.rows:
                table.add(*row)
            sections.append((section.title, table))
        chart = charts.before_after(
            [(r.statement, r.before, r.after) for r in profile.ratings],
            self.t(t, "web_readiness"), self.t(t, "web_before"), self.t(t, "web_after"))
        return self.show(v, "partner.html",
                         [quizzes, ratings, reflections, tickets, nudges,
                          *(table for _, table in sections)], p=profile,
                         sections=sections, chart=chart,
                         flash=v.request.query_params.get("done", ""))

    async def message_partner(self, v: Visit, form: dict[str, str]) -> Response:
        """Writes to a partner as the coach does in chat (their name on the message)."""
        pid = _int(v.request.path_params["partner"])
        text = form.get("text", "").strip()
        if not pid or not text:
            return RedirectResponse(f"/partners/{pid}", status_code=303)
        await self.as_coach_pressing(v.coach, PartnerButton("msg", pid).pack())
        said = await self.as_coach(v.coach, text)
        return self.render(v.request, v.lang, "done.html", visit=v,
                           heading=self.t(v.lang, "web_message_sent_title"), text=said,
                           back=f"/partners/{pid}")

    async def ticket_for_partner(self, v: Visit, form: dict[str, str]) -> Response:
        pid = _int(v.request.path_params["partner"])
        said = await self.as_coach_pressing(v.coach, PartnerButton("tk", pid).pack())
        return self.render(v.request, v.lang, "done.html", visit=v,
                           heading=self.t(v.lang, "web_tickets"), text=said,
                           back=f"/partners/{pid}")

    async def as_coach_pressing(self, coach: PartnerRecord, payload: str) -> str:
        """The coach presses a button in chat; what the bot answers them."""
        msg = Inbound.button(coach.channel, coach.external_id, payload, chat_id=coach.chat_id,
                             display_name=coach.name, update_id=f"web:{uuid.uuid4().hex}")
        return "\n".join(r.text for r in await self.bot.handle(msg))

    # --- broadcasts ---------------------------------------------------------------------

    async def broadcasts(self, v: Visit) -> Response:
        async with self.repos() as repos:
            recent = await repos.get(Broadcasts).recent(limit=30)
        t = v.lang
        # each broadcast's delivery is counted on its own page (a count over its outbox rows)
        table = Table("broadcasts", ["#", self.t(t, "web_segment"), self.t(t, "web_message"),
                                     self.t(t, "web_send_at"), self.t(t, "web_status"),
                                     self.t(t, "web_partners")])
        for b in recent:
            table.add(Cell(str(b.id), f"/broadcasts/{b.id}"), b.segment, b.text[:120],
                      self.when(b.send_at), self.t(t, f"web_status_{b.status}"), b.total)
        return self.show(v, "broadcasts.html", [table], form={})

    async def _segment_preview(self, spec: str) -> tuple[segments.Segment, int]:
        seg = segments.parse(spec)
        async with self.repos() as repos:
            audience = repos.get(Audience)
            catalog = self._catalog()
            await audience.check(seg, catalog)
            return seg, await audience.count(seg, catalog)

    def _catalog(self) -> segments.Catalog:
        return segments.Catalog.of(self.bot.library.packs)

    def _send_at(self, raw: str) -> Any:
        raw = raw.strip()
        if not raw:
            return self.bot.clock.now()
        return parse_local(raw, self.bot.settings.coach_timezone, self.bot.clock.now())

    async def preview_broadcast(self, v: Visit, form: dict[str, str]) -> Response:
        t = v.lang
        error = ""
        seg, n = None, 0
        text = form.get("text", "").strip()
        when = self._send_at(form.get("send_at", ""))
        try:
            seg, n = await self._segment_preview(form.get("segment", ""))
        except SegmentError as exc:
            error = str(exc)
        if not error and not text:
            error = self.t(t, "broadcast_text_empty")
        if not error and when is None:
            error = self.t(t, "web_when_unreadable")
        if not error and n == 0:
            error = self.t(t, "broadcast_nobody")
        if error:
            return self.show(v, "broadcasts.html", [], form=form, error=error)
        assert seg is not None
        return self.render(v.request, t, "broadcast_confirm.html", visit=v, form=form,
                           segment=segments.describe(seg, lambda k, **kw: self.t(t, k, **kw)),
                           n=n, when_text=self.when(when))

    async def send_broadcast(self, v: Visit, form: dict[str, str]) -> Response:
        now = self.bot.clock.now()
        when = self._send_at(form.get("send_at", "")) or now
        try:
            async with self.repos() as repos:
                info = await repos.get(Broadcasts).create(
                    segment=form.get("segment", ""), text=form.get("text", ""), send_at=when,
                    created_by=v.coach.id, now=now, catalog=self._catalog())
        except BroadcastError as exc:
            return self.show(v, "broadcasts.html", [], form=form,
                             error=self.t(v.lang, exc.key, **exc.kw))
        except SegmentError as exc:
            return self.show(v, "broadcasts.html", [], form=form, error=str(exc))
        log.info("broadcast %s queued from the dashboard by %s", info.id, v.coach.id)
        return RedirectResponse(f"/broadcasts/{info.id}", status_code=303)

    async def broadcast(self, v: Visit) -> Response:
        bid = _int(v.request.path_params["broadcast"])
        now = self.bot.clock.now()
        async with self.repos() as repos:
            service = repos.get(Broadcasts)
            info = await service.get(bid) if bid else None
            progress = await service.progress(info.id, now) if info else None
        if info is None or progress is None:
            return self.refuse(v.request, 404, "web_not_found")
        t = v.lang
        table = Table("delivery", [self.t(t, "web_outcome"), self.t(t, "web_partners")])
        for key in ("sent", "blocked", "failed", "pending", "cancelled"):
            table.add(self.t(t, f"web_outcome_{key}"), getattr(progress, key))
        pct = round(100 * progress.done / progress.total) if progress.total else 100
        return self.show(v, "broadcast.html", [table], info=info, progress=progress, pct=pct)

    async def cancel_broadcast(self, v: Visit, form: dict[str, str]) -> Response:
        bid = _int(v.request.path_params["broadcast"])
        try:
            async with self.repos() as repos:
                await repos.get(Broadcasts).cancel(bid, self.bot.clock.now())
        except BroadcastError as exc:
            return self.render(v.request, v.lang, "done.html", visit=v,
                               heading=self.t(v.lang, "web_broadcasts"),
                               text=self.t(v.lang, exc.key, **exc.kw), back="/broadcasts")
        return RedirectResponse(f"/broadcasts/{bid}", status_code=303)

    # --- webinars -----------------------------------------------------------------------

    async def webinars(self, v: Visit) -> Response:
        now = self.bot.clock.now()
        async with self.repos() as repos:
            upcoming = await repos.get(Webinars).upcoming(now, limit=50)
            counts = await repos.get(Figures).rsvp_counts()
        t = v.lang
        table = Table("webinars", ["#", self.t(t, "web_title"), self.t(t, "web_when"),
                                   self.t(t, "web_segment"), self.t(t, "web_rsvp_yes"),
                                   self.t(t, "web_rsvp_no")])
        for w in upcoming:
            yes, no = counts.get(w.id, (0, 0))
            table.add(Cell(str(w.id), f"/webinars/{w.id}"), w.title, self.when(w.starts_at),
                      w.audience, yes, no)
        return self.show(v, "webinars.html", [table], form={})

    async def preview_webinar(self, v: Visit, form: dict[str, str]) -> Response:
        t = v.lang
        error = ""
        n = 0
        seg = None
        starts = parse_local(form.get("at", ""), self.bot.settings.coach_timezone,
                             self.bot.clock.now())
        try:
            seg, n = await self._segment_preview(form.get("audience", ""))
        except SegmentError as exc:
            error = str(exc)
        if not error and starts is None:
            error = self.t(t, "web_when_unreadable")
        if not error and not form.get("title", "").strip():
            error = self.t(t, "webinar_title_invalid")
        if error:
            return self.show(v, "webinars.html", [], form=form, error=error)
        assert seg is not None
        return self.render(v.request, t, "webinar_confirm.html", visit=v, form=form, n=n,
                           segment=segments.describe(seg, lambda k, **kw: self.t(t, k, **kw)),
                           when_text=self.when(starts))

    async def create_webinar(self, v: Visit, form: dict[str, str]) -> Response:
        now = self.bot.clock.now()
        tz = self.bot.settings.coach_timezone
        starts = parse_local(form.get("at", ""), tz, now)
        if starts is None:
            return self.show(v, "webinars.html", [], form=form,
                             error=self.t(v.lang, "web_when_unreadable"))
        try:
            async with self.repos() as repos:
                info, _ = await repos.get(Webinars).create(
                    self.bot.library, title=form.get("title", ""), starts_at=starts,
                    link=form.get("link", ""), description=form.get("description"),
                    followup=None, audience=form.get("audience", ""), timezone=tz,
                    created_by=v.coach.id, now=now, catalog=self._catalog())
        except WebinarError as exc:
            return self.show(v, "webinars.html", [], form=form,
                             error=self.t(v.lang, exc.key, **exc.kw))
        except SegmentError as exc:
            return self.show(v, "webinars.html", [], form=form, error=str(exc))
        return RedirectResponse(f"/webinars/{info.id}", status_code=303)

    async def webinar(self, v: Visit) -> Response:
        wid = _int(v.request.path_params["webinar"])
        async with self.repos() as repos:
            info = await repos.get(Webinars).get(wid) if wid else None
            rsvps = await repos.get(Figures).rsvps(info.id, v.limit) if info else []
            # the invitations are outbox rows keyed wa:<webinar>:<partner>
            sent = await repos.get(Outbox).outcome_counts(f"wa:{wid}:") if info else Counter()
        if info is None:
            return self.refuse(v.request, 404, "web_not_found")
        t = v.lang
        table = Table("rsvps", [self.t(t, "web_partner"), self.t(t, "web_answer"),
                                self.t(t, "web_when")])
        for r in rsvps:
            table.add(Cell(r.name or r.external_id, f"/partners/{r.partner_id}"),
                      self.t(t, f"web_rsvp_{r.answer}"), self.when(r.updated_at))
        delivery = Table("invitations", [self.t(t, "web_outcome"), self.t(t, "web_partners")])
        for key in ("sent", "blocked", "failed", "pending", "cancelled"):
            delivery.add(self.t(t, f"web_outcome_{key}"), sent[key])
        return self.show(v, "webinar.html", [table, delivery], info=info)

    # --- FAQ gaps -----------------------------------------------------------------------

    async def faq(self, v: Visit) -> Response:
        pack = self.bot.library.fallback(None, self.bot.settings.default_pack)
        since = self.bot.clock.now() - timedelta(days=90)

        async def count() -> Any:
            async with self.repos() as repos:
                questions = await repos.get(FaqLogRepo).gaps(pack.id, since)
            # grouping compares questions pairwise: the latest few hundred show today's gaps
            return group_questions(questions[-MAX_GAP_QUESTIONS:])[:50]

        gaps, at = await self.figures.get(("faq", pack.id), count)
        t = v.lang
        table = Table("faq_gaps", [self.t(t, "web_asked"), self.t(t, "web_example"),
                                   self.t(t, "web_similar"), self.t(t, "web_outcome")])
        for g in gaps:
            table.add(g.count, g.example, " | ".join(g.others[:5]), g.describe())
        entries = [(e.id, e.answer.get(t)[:60]) for e in pack.faq]
        return self.show(v, "faq.html", [table], gaps=gaps, entries=entries,
                         flash=v.request.query_params.get("taught", ""),
                         added=v.request.query_params.get("added", ""), counted_at=at)

    async def teach(self, v: Visit, form: dict[str, str]) -> Response:
        pack = self.bot.library.fallback(None, self.bot.settings.default_pack)
        entry = form.get("entry", "")
        question = " ".join(form.get("question", "").split())[:500]
        if entry not in {e.id for e in pack.faq} or not question:
            return self.refuse(v.request, 400, "web_bad_request")
        asked.teach(pack.root / asked.FILE, entry, question)
        return RedirectResponse(f"/faq?taught={entry}", status_code=303)

    async def add_faq_entry(self, v: Visit, form: dict[str, str]) -> Response:
        pack = self.bot.library.fallback(None, self.bot.settings.default_pack)
        entry = form.get("entry_id", "").strip().lower()
        try:
            add_entry(pack.root, entry,
                      {"id": form.get("question_id", ""), "en": form.get("question_en", "")},
                      {"id": form.get("answer_id", ""), "en": form.get("answer_en", "")})
        except EntryRefused as exc:
            return self.render(v.request, v.lang, "done.html", visit=v,
                               heading=self.t(v.lang, "web_entry_refused"), text=str(exc),
                               back="/faq")
        log.info("FAQ entry %s added from the dashboard by %s", entry, v.coach.id)
        return RedirectResponse(f"/faq?added={entry}", status_code=303)

    # --- the app ------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/cohorts", status_code=303)

    def app(self) -> Starlette:
        p, a = self.page, self.action
        routes = [
            Route("/", self.home),
            Route("/login/{token}", self.login),
            Route("/logout", a(self.logout), methods=["POST"]),
            Route("/cohorts", p(self.cohorts)),
            Route("/readiness", p(self.readiness)),
            Route("/quiz", p(self.quiz)),
            Route("/tickets", p(self.tickets)),
            Route("/tickets/{ticket}", p(self.ticket)),
            Route("/tickets/{ticket}/answer", a(self.answer_ticket), methods=["POST"]),
            Route("/tickets/{ticket}/close", a(self.close_ticket), methods=["POST"]),
            Route("/partners/{partner}", p(self.partner)),
            Route("/partners/{partner}/message", a(self.message_partner), methods=["POST"]),
            Route("/partners/{partner}/ticket", a(self.ticket_for_partner), methods=["POST"]),
            Route("/broadcasts", p(self.broadcasts)),
            Route("/broadcasts/preview", a(self.preview_broadcast), methods=["POST"]),
            Route("/broadcasts/send", a(self.send_broadcast), methods=["POST"]),
            Route("/broadcasts/{broadcast}", p(self.broadcast)),
            Route("/broadcasts/{broadcast}/cancel", a(self.cancel_broadcast),
                  methods=["POST"]),
            Route("/webinars", p(self.webinars)),
            Route("/webinars/preview", a(self.preview_webinar), methods=["POST"]),
            Route("/webinars/create", a(self.create_webinar), methods=["POST"]),
            Route("/webinars/{webinar}", p(self.webinar)),
            Route("/faq", p(self.faq)),
            Route("/faq/teach", a(self.teach), methods=["POST"]),
            Route("/faq/entry", a(self.add_faq_entry), methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        return Starlette(routes=routes, exception_handlers={404: self._not_found})

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return self.refuse(request, 404, "web_not_found")


def _int(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def create_app(bot: CoachBot, secret: str | None = None) -> Starlette:
    return Dashboard(bot, secret).app()

