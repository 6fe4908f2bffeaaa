"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,950 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.63, 0.6148, 0.3617, 0.6342, 0.9423, 0.6967, 0.9209, 0.1219,
    0.6585, 0.1683, 0.5641, 0.2289, -0.1373)
FEATURE_STD: tuple[float, ...] = (0.2648, 0.2221, 0.2025, 0.1446, 0.1251, 0.3995, 0.1867, 0.1957,
    0.1337, 0.2597, 0.4029, 0.1951, 0.3117)
WEIGHTS: tuple[float, ...] = (0.3918, 0.2866, 0.4887, 0.191, 0.1388, -0.0934, 0.4094, -0.3325,
    0.1999, -0.1415, -0.0454, -0.7347, -0.5497)
BIAS = 1.7735

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.77
OFFER = 0.5
