"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,650 cases), with every case's
features computed out of fold; one global setting, never tuned per question. Held-out
figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6335, 0.6149, 0.3662, 0.6387, 0.9335, 0.6831, 0.9127, 0.1209,
    0.6613, 0.1616, 0.5521, 0.2188, -0.1559)
FEATURE_STD: tuple[float, ...] = (0.2712, 0.2229, 0.2069, 0.1495, 0.1326, 0.4093, 0.1935, 0.1977,
    0.1348, 0.2553, 0.4111, 0.1857, 0.3068)
WEIGHTS: tuple[float, ...] = (0.3949, 0.3505, 0.4734, 0.1896, 0.1044, -0.1069, 0.4023, -0.3301,
    0.1786, -0.1624, -0.0228, -0.6794, -0.5332)
BIAS = 1.7405

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.77
OFFER = 0.53
