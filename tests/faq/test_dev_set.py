"""The development set over the shipped packs stays answerable (accuracy, not timing).

The figures on the held-out set come from `python -m benchmarks.bench_faq`."""

from __future__ import annotations

from pathlib import Path

from bot.faq.calibrate import shipped_indexes
from bot.faq.evaluate import load_cases, run, summarize

DEV = Path(__file__).parents[1] / "fixtures" / "faq_dev.yaml"


def test_dev_set_has_enough_varied_cases() -> None:
    cases = load_cases(DEV)
    assert len(cases) >= 150
    oos = sum(c.expect is None for c in cases)
    assert 0.15 <= oos / len(cases) <= 0.25
    assert {c.lang for c in cases} == {"id", "en"}


def test_dev_set_accuracy_on_the_shipped_packs() -> None:
    indexes = shipped_indexes()
    cases = [c for c in load_cases(DEV) if c.pack in indexes]
    summary = summarize(run(cases, lambda c: indexes[c.pack or ""]))
    assert summary.top1 >= 0.85, summary.line()
    assert summary.oos_reject >= 0.80, summary.line()
