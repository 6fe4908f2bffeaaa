"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,650 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.642, 0.6154, 0.3665, 0.6421, 0.9335, 0.6727, 0.915, 0.1193,
    0.6602, 0.158, 0.5376, 0.2185, -0.1596)
FEATURE_STD: tuple[float, ...] = (0.2686, 0.2228, 0.2044, 0.1484, 0.1326, 0.409, 0.1919, 0.1979,
    0.1341, 0.2541, 0.4077, 0.1857, 0.3068)
WEIGHTS: tuple[float, ...] = (0.4157, 0.3151, 0.4827, 0.1902, 0.1253, -0.086, 0.4314, -0.3386,
    0.1983, -0.1455, -0.0279, -0.7011, -0.5267)
BIAS = 1.8119

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.76
OFFER = 0.51
