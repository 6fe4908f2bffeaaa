"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 3,164 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.7437, 0.6036, 0.4311, 0.6615, 0.9645, 0.5179, 0.9578, 0.0943,
    0.6269, 0.1297, 0.3951, 0.2165, -0.1872)
FEATURE_STD: tuple[float, ...] = (0.2667, 0.2261, 0.205, 0.1368, 0.1016, 0.4412, 0.1401, 0.1806,
    0.1473, 0.2425, 0.391, 0.1515, 0.2868)
WEIGHTS: tuple[float, ...] = (0.4613, 0.2878, 0.6441, 0.3206, 0.0427, -0.1779, 0.2053, -0.2766,
    0.0993, -0.1302, -0.1408, -0.632, -0.5347)
BIAS = 2.1825

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.62
OFFER = 0.48
