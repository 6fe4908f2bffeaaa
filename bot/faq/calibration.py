"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 2,247 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6091, 0.6015, 0.4015, 0.6244, 0.9486, 0.724, 0.9218, 0.1261,
    0.6499, 0.1835, 0.5954, 0.2339, -0.1133)
FEATURE_STD: tuple[float, ...] = (0.2666, 0.2273, 0.2078, 0.1425, 0.1193, 0.3866, 0.1917, 0.1948,
    0.142, 0.2708, 0.3937, 0.1981, 0.3126)
WEIGHTS: tuple[float, ...] = (0.373, 0.2776, 0.5077, 0.1134, 0.0802, -0.1106, 0.3733, -0.3233,
    0.1984, -0.1119, -0.0399, -0.7423, -0.5755)
BIAS = 1.8208

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.77
OFFER = 0.53
