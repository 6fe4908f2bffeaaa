"""Turns a planned nudge into the Reply the partner will see (pack texts + UI buttons)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core import Button, Reply, reply_to_dict, rows
from content.loader import Pack, PackLibrary
from content.schema import NudgeKind
from handlers.payloads import make
from scheduler.rules import Nudge


class _Keep(dict[str, Any]):
    """Leaves an unknown placeholder as written instead of failing the whole nudge."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _title(pack: Pack, module_id: str | None, lang: str) -> str:
    module = pack.modules.get(module_id or "")
    return module.title.get(lang) if module else (module_id or "")


def topics_for(pack: Pack, quiz_id: str | None, missed_question_ids: Sequence[str],
               lang: str) -> list[str]:
    """What to review: the topics of the missed questions, each once, in quiz order."""
    quiz = pack.quiz(quiz_id or "")
    if quiz is None:
        return []
    missed = set(missed_question_ids)
    out: list[str] = []
    for q in quiz.questions:
        if q.id in missed and q.topic is not None:
            topic = q.topic.get(lang)
            if topic not in out:
                out.append(topic)
    return out


def render_nudge(n: Nudge, pack: Pack, library: PackLibrary, *, lang: str, name: str | None,
                 topics: Sequence[str] = ()) -> Reply:
    def t(key: str, **kw: Any) -> str:
        text = library.text(pack, key, lang)
        return text.format(**kw) if kw else text

    if n.event_date is not None:
        date_text = f"{n.event_date.day}.{n.event_date.month}"
    else:
        date_text = ""
    values = _Keep(name=name or t("nudge_friend"), module=_title(pack, n.module_id, lang),
                   next_module=_title(pack, n.next_module, lang),
                   topics=", ".join(topics) or t("nudge_topics_fallback"), date=date_text)
    text = pack.nudges.texts[n.kind].get(lang).format_map(values)
    if n.kind is NudgeKind.MODULE_FINISHED and n.next_module:
        main = Button(t("nudge_btn_next_module", module=values["next_module"])[:60],
                      make("m", "open", n.next_module))
    elif n.kind is NudgeKind.QUIZ_FAILED and n.quiz_id:
        main = Button(t("nudge_btn_retake"), make("q", "start", n.quiz_id))
    elif n.kind in (NudgeKind.STALLED, NudgeKind.ONBOARDING_UNFINISHED):
        main = Button(t("nudge_btn_continue"), make("n", "here"))
    else:
        main = Button(t("nudge_btn_menu"), make("n", "here"))
    return Reply(text, rows(main, Button(t("nudge_btn_stop"), make("st", "ask"))))


def nudge_payload(reply: Reply, n: Nudge) -> dict[str, Any]:
    """The outbox payload: the reply plus which rule planned it (read back by the dispatcher)."""
    data: dict[str, Any] = dict(reply_to_dict(reply))
    data["nudge"] = n.kind.value
    return data
