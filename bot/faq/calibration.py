"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,950 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6234, 0.6147, 0.361, 0.6321, 0.9423, 0.7028, 0.9184, 0.1221,
    0.6607, 0.1693, 0.5719, 0.2292, -0.1351)
FEATURE_STD: tuple[float, ...] = (0.2658, 0.2222, 0.2028, 0.1456, 0.1251, 0.3969, 0.1894, 0.1953,
    0.133, 0.2601, 0.4022, 0.195, 0.3113)
WEIGHTS: tuple[float, ...] = (0.4169, 0.2815, 0.4934, 0.1891, 0.1251, -0.0836, 0.4173, -0.3172,
    0.1925, -0.125, -0.041, -0.7222, -0.5402)
BIAS = 1.724

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.79
OFFER = 0.48
