"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 2,247 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6108, 0.611, 0.3552, 0.6248, 0.9486, 0.7235, 0.9239, 0.1261,
    0.6579, 0.1835, 0.5924, 0.2339, -0.1189)
FEATURE_STD: tuple[float, ...] = (0.2629, 0.2197, 0.2022, 0.1425, 0.1193, 0.3867, 0.1832, 0.1948,
    0.1318, 0.2708, 0.3947, 0.1981, 0.3101)
WEIGHTS: tuple[float, ...] = (0.4061, 0.2793, 0.5002, 0.1775, 0.1294, -0.0744, 0.4007, -0.3299,
    0.1942, -0.106, -0.0257, -0.7172, -0.5423)
BIAS = 1.6838

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.8
OFFER = 0.52
