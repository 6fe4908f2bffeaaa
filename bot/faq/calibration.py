"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 3,164 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.7486, 0.6389, 0.445, 0.6932, 0.96, 0.4983, 0.9524, 0.0975,
    0.6344, 0.13, 0.3727, 0.2464, -0.2097)
FEATURE_STD: tuple[float, ...] = (0.2719, 0.2424, 0.2108, 0.1619, 0.1076, 0.4457, 0.1498, 0.1881,
    0.1454, 0.2463, 0.3913, 0.218, 0.3881)
WEIGHTS: tuple[float, ...] = (0.4364, 0.3036, 0.5939, 0.2953, 0.0622, -0.1809, 0.2334, -0.2868,
    0.1409, -0.1519, -0.1337, -0.6631, -0.542)
BIAS = 2.2594

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.56
OFFER = 0.36
