"""The calibration chooses its thresholds on held-out confidences."""

from __future__ import annotations

from pathlib import Path

from benchmarks.tools import faq_calibrate as calibrate
from benchmarks.tools.faq_calibrate import Scored, fit_model, held_out_confidences
from handlers.faq.engine.evaluate import Case


def _scored(source: str, n: int, shift: float) -> list[Scored]:
    # in scope: right when the first feature is high; out of scope: low features
    out = []
    for i in range(n):
        x = (i % 10) / 10 + shift
        out.append(Scored(Case(f"q{i}", "id", "e", "p"), Path(source), (x, 1 - x), x > 0.5))
        out.append(Scored(Case(f"o{i}", "id", None, "p"), Path(source), (x / 2, 0.5), False))
    return out


def test_each_file_is_scored_by_the_model_fitted_without_it() -> None:
    a, b = _scored("a.yaml", 30, 0.0), _scored("b.yaml", 30, 0.3)
    confs = held_out_confidences(a + b)
    without_a = calibrate._fit_model(b)
    without_b = calibrate._fit_model(a)
    assert confs[:len(a)] == [without_a.confidence(s) for s in a]
    assert confs[len(a):] == [without_b.confidence(s) for s in b]
    in_sample = calibrate._fit_model(a + b)
    assert confs != [in_sample.confidence(s) for s in a + b]


def test_the_offer_threshold_rejects_the_target_share_of_held_out_out_of_scope() -> None:
    scored = _scored("a.yaml", 40, 0.0) + _scored("b.yaml", 40, 0.2) + _scored("c.yaml", 40, 0.1)
    model = fit_model(scored)
    confs = held_out_confidences(scored)
    oos = [c for c, s in zip(confs, scored, strict=True) if s.case.expect is None]
    share = sum(c < model.offer for c in oos) / len(oos)
    assert share >= calibrate.OOS_TARGET
    # one step lower would reject less than the target: the threshold is the lowest
    lower = round(model.offer - 0.01, 2)
    assert sum(c < lower for c in oos) / len(oos) < calibrate.OOS_TARGET


def test_each_file_is_scored_with_the_other_files_questions_but_not_their_near_copies(
) -> None:
    from handlers.faq.engine import load_faq_file
    from tests.faq.conftest import SAMPLE_FAQ

    faqs = {"p": load_faq_file(SAMPLE_FAQ)}
    mine = Path("mine.yaml")
    question = Case("kok kuenya blm nyampe ke dompet", "id", "payout-schedule", "p")

    def top_right(other: str) -> bool:
        cases = {mine: [question],
                 Path("other.yaml"): [Case(other, "id", "payout-schedule", "p")]}
        (scored,) = calibrate.score(cases, faqs, [mine])
        return scored.top_right

    # another partner's question in other words teaches the engine "kue" and "dompet"
    assert top_right("udah seminggu kue di dompet blm nyampe juga, kenapa ya")
    # a near-copy is left out: a fresh question never has one in the development data
    assert not top_right("kok kuenya blm nyampe ke dompet ya kak")
