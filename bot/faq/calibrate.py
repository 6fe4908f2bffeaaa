"""Fits the confidence model and the band thresholds on the development set.

    python -m bot.faq.calibrate [--cases tests/fixtures/faq_dev.yaml] [--write]

A logistic regression over the match features (bot.faq.index.FEATURES) predicts "the top
entry is the right one"; its output is the confidence. The offer threshold is the lowest that
still rejects OOS_TARGET of the development set's out-of-scope questions (so top-1 is as
high as that allows), the answer threshold the
lowest one at which answered questions are right at least ANSWER_PRECISION of the time.
One global setting: nothing here looks at single questions. The held-out set is not used.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from bot.faq import calibration, index
from bot.faq.evaluate import Case, load_cases
from bot.faq.index import FaqIndex
from content.loader import discover_packs, load_pack, load_ui_defaults

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tests" / "fixtures" / "faq_dev.yaml"
ANSWER_PRECISION = 0.97
OOS_TARGET = 0.85
L2 = 0.05


def shipped_indexes() -> dict[str, FaqIndex]:
    """Every shipped pack's FAQ (a pack still being written: its faq.yaml alone)."""
    from bot.faq import load_faq_file

    ui = load_ui_defaults()
    out: dict[str, FaqIndex] = {}
    for d in sorted((ROOT / "content" / "packs").iterdir()):
        if (d / "pack.yaml").exists() and d in discover_packs(d.parent):
            try:
                pack = load_pack(d, ui)
                out[pack.id] = FaqIndex(pack.faq)
                continue
            except Exception:  # a pack mid-edit: its FAQ file is enough to calibrate
                pass
        if (d / "faq.yaml").exists():
            out[d.name] = FaqIndex(load_faq_file(d / "faq.yaml"))
    return out


def _fit(xs: list[list[float]], ys: list[int]) -> tuple[list[float], list[float], list[float],
                                                       float]:
    n, k = len(xs), len(xs[0])
    mean = [sum(x[j] for x in xs) / n for j in range(k)]
    std = [math.sqrt(sum((x[j] - mean[j]) ** 2 for x in xs) / n) or 1.0 for j in range(k)]
    zs = [[(x[j] - mean[j]) / std[j] for j in range(k)] for x in xs]
    w = [0.0] * k
    b = 0.0
    lr = 0.5
    for _ in range(4000):
        gw = [0.0] * k
        gb = 0.0
        for z, y in zip(zs, ys, strict=True):
            logit = b + sum(a * c for a, c in zip(w, z, strict=True))
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, logit))))
            for j in range(k):
                gw[j] += (p - y) * z[j]
            gb += p - y
        w = [w[j] - lr * (gw[j] / n + L2 * w[j]) for j in range(k)]
        b -= lr * gb / n
    return mean, std, w, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=Path, default=DEV)
    parser.add_argument("--write", action="store_true", help="rewrite calibration.py")
    args = parser.parse_args()
    indexes = shipped_indexes()
    cases: list[Case] = [c for c in load_cases(args.cases) if (c.pack or "") in indexes]
    matches = [indexes[c.pack or ""].search(c.q) for c in cases]
    xs = [list(m.features) if m.features else [0.0] * len(index.FEATURES) for m in matches]
    ys = [int(c.expect is not None and m.top == c.expect) for c, m in zip(cases, matches,
                                                                          strict=True)]
    mean, std, w, b = _fit(xs, ys)
    calibration.FEATURE_MEAN, calibration.FEATURE_STD = tuple(mean), tuple(std)
    calibration.WEIGHTS, calibration.BIAS = tuple(w), b
    confs = [index.confidence_of(x) if m.features else 0.0 for x, m in zip(xs, matches,
                                                                             strict=True)]
    oos = [i for i, c in enumerate(cases) if c.expect is None]
    # the highest top-1 that still rejects OOS_TARGET of the out-of-scope questions
    best_offer = 0.99
    for step in range(99, 0, -1):
        t = step / 100
        if sum(confs[i] < t for i in oos) / max(len(oos), 1) >= OOS_TARGET:
            best_offer = t
        else:
            break
    best_answer = 0.99
    for step in range(99, int(best_offer * 100) - 1, -1):
        t = step / 100
        answered = [i for i in range(len(cases)) if confs[i] >= t]
        if answered and sum(ys[i] for i in answered) / len(answered) >= ANSWER_PRECISION:
            best_answer = t
        else:
            break
    block = (f"FEATURE_MEAN: tuple[float, ...] = {tuple(round(v, 4) for v in mean)}\n"
             f"FEATURE_STD: tuple[float, ...] = {tuple(round(v, 4) for v in std)}\n"
             f"WEIGHTS: tuple[float, ...] = {tuple(round(v, 4) for v in w)}\n"
             f"BIAS = {round(b, 4)}\n"
             f"ANSWER = {best_answer}\nOFFER = {best_offer}\n")
    print(f"# {len(cases)} dev cases ({len(oos)} out of scope); features {index.FEATURES}")
    print(block)
    if args.write:
        path = Path(calibration.__file__)
        text = path.read_text(encoding="utf-8")
        head = text.split("# logistic regression", 1)[0]
        path.write_text(head + "# logistic regression over the features in "
                        "bot.faq.index.FEATURES, on standardised values\n"
                        + block.replace("ANSWER =", "\n# answer directly at or above ANSWER; "
                                        "offer the top 3 at or above OFFER; below: don't "
                                        "know\nANSWER ="), encoding="utf-8")


if __name__ == "__main__":
    main()
