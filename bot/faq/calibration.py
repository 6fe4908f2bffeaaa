"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 3,164 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.7507, 0.5929, 0.4267, 0.6562, 0.9669, 0.5137, 0.9632, 0.0887,
    0.625, 0.1225, 0.3932, 0.2186, -0.1767)
FEATURE_STD: tuple[float, ...] = (0.2598, 0.2234, 0.2038, 0.1357, 0.0987, 0.4375, 0.13, 0.1753,
    0.1482, 0.2359, 0.3877, 0.1484, 0.278)
WEIGHTS: tuple[float, ...] = (0.4643, 0.2696, 0.6617, 0.3096, 0.07, -0.1734, 0.2021, -0.2609,
    0.1101, -0.1243, -0.1359, -0.6522, -0.5364)
BIAS = 2.1516

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.65
OFFER = 0.49
