"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 3,164 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.5765, 0.59, 0.3866, 0.6085, 0.9583, 0.769, 0.9272, 0.1382,
    0.6468, 0.2128, 0.6365, 0.2443, -0.0793)
FEATURE_STD: tuple[float, ...] = (0.2606, 0.223, 0.2074, 0.1373, 0.1098, 0.3606, 0.1826, 0.1983,
    0.1396, 0.2914, 0.3798, 0.2091, 0.3112)
WEIGHTS: tuple[float, ...] = (0.3514, 0.2679, 0.6128, 0.0814, 0.0916, -0.0963, 0.3179, -0.3238,
    0.1827, -0.0971, -0.0164, -0.728, -0.5714)
BIAS = 1.65

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.77
OFFER = 0.48
