"""The confidence model's weights and the two band thresholds.

Fitted on the development set only (tests/fixtures/faq_dev.yaml) by
`python -m bot.faq.calibrate`, which prints this block; one global setting, never tuned
per question. The held-out set (tests/fixtures/faq_test.yaml) is not used here.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6655, 0.6001, 0.4001, 0.6642, 0.8693, 0.5781, 0.849, 0.1345)
FEATURE_STD: tuple[float, ...] = (0.2988, 0.2436, 0.229, 0.1781, 0.1645, 0.4381, 0.2503, 0.232)
WEIGHTS: tuple[float, ...] = (0.6459, 0.249, 0.4689, 0.4287, -0.0594, -0.286, 0.3507, -0.7661)
BIAS = 1.9394

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.71
OFFER = 0.48
