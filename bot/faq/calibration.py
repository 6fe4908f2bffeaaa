"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,290 cases), with every case's
features computed out of fold; one global setting, never tuned per question. Held-out
figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6619, 0.6115, 0.3771, 0.6521, 0.9216, 0.6407, 0.909, 0.1187,
    0.6624, 0.1493, 0.5009, 0.2091, -0.1832)
FEATURE_STD: tuple[float, ...] = (0.2719, 0.2261, 0.208, 0.1505, 0.1405, 0.4246, 0.1966, 0.1997,
    0.1347, 0.248, 0.4161, 0.1813, 0.3073)
WEIGHTS: tuple[float, ...] = (0.4246, 0.3324, 0.4609, 0.2339, 0.1077, -0.1093, 0.3798, -0.341,
    0.1565, -0.1587, -0.0682, -0.6667, -0.5334)
BIAS = 1.8618

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.76
OFFER = 0.53
