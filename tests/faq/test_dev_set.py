"""The development data over the shipped packs stay answerable (accuracy, not timing).

Held-out figures per file come from `python -m benchmarks.tools.faq_calibrate --cv` and
`python -m benchmarks.bench_faq`."""

from __future__ import annotations

from pathlib import Path

from benchmarks.tools.faq_calibrate import (
    CASE_FILES,
    asked_questions,
    load_all,
    out_of_scope_questions,
    shipped_faqs,
    shipped_indexes,
)
from handlers.faq.engine import FaqIndex
from handlers.faq.engine.evaluate import load_cases, run, summarize
from handlers.faq.engine.index import default_out_of_scope

DEV = Path(__file__).parents[1] / "fixtures" / "faq_dev.yaml"


def test_dev_set_has_enough_varied_cases() -> None:
    cases = load_cases(DEV)
    assert len(cases) >= 150
    oos = sum(c.expect is None for c in cases)
    assert 0.15 <= oos / len(cases) <= 0.25
    assert {c.lang for c in cases} == {"id", "en"}


def test_the_shipped_out_of_scope_list_is_the_development_data() -> None:
    # rerun `python -m benchmarks.tools.faq_calibrate --write` after changing a cases file
    assert set(default_out_of_scope()) == set(out_of_scope_questions(load_all(CASE_FILES)))


def test_the_shipped_asked_questions_are_the_development_data() -> None:
    # rerun `python -m benchmarks.tools.faq_calibrate --write` after changing a cases file
    asked = asked_questions(load_all(CASE_FILES), faqs=shipped_faqs())
    for pack, index in shipped_indexes().items():
        own = [p for e in index.entries for lang in sorted(e.questions)
               for p in e.questions[lang]]
        taught = [q for e in index.entries for q in asked.get(pack, {}).get(e.id, ())]
        assert len(index.phrases.docs) == len(own) + len(taught)
        assert taught and len(taught) == sum(len(qs) for qs in asked[pack].values())


def test_dev_set_accuracy_without_its_own_questions() -> None:
    # the dev file's own questions are left out of the engine's out-of-scope list and its
    # asked questions, so they are new to it: answering them is not recall
    cases = load_all(CASE_FILES)
    others = out_of_scope_questions(cases, exclude=(DEV,))
    asked = asked_questions(cases, exclude=(DEV,), faqs=shipped_faqs())
    indexes = {p: FaqIndex(e, out_of_scope=others, asked=asked.get(p), pack=p)
               for p, e in shipped_faqs().items()}
    dev = [c for c in cases[DEV] if c.pack in indexes]
    summary = summarize(run(dev, lambda c: indexes[c.pack or ""]))
    assert summary.top1 >= 0.90, summary.line()
    assert summary.oos_reject >= 0.80, summary.line()
