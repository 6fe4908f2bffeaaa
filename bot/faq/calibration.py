"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,290 cases), with every case's
features computed out of fold; one global setting, never tuned per question. Held-out
figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6109, 0.5878, 0.3651, 0.6347, 0.9197, 0.7065, 0.8932, 0.1339,
    0.6674, 0.1755, 0.5579, 0.1853, -0.1754)
FEATURE_STD: tuple[float, ...] = (0.2716, 0.222, 0.2141, 0.1508, 0.1429, 0.3965, 0.2152, 0.2049,
    0.1367, 0.2652, 0.4114, 0.1663, 0.2863)
WEIGHTS: tuple[float, ...] = (0.4129, 0.2925, 0.4613, 0.2476, 0.0274, -0.0607, 0.3742, -0.343,
    0.2062, -0.1339, -0.0614, -0.5255, -0.4036)
BIAS = 1.7941

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.82
OFFER = 0.55
