"""The confidence model's weights and the two band thresholds.

Fitted on the development set only (tests/fixtures/faq_dev.yaml) by
`python -m bot.faq.calibrate`, which prints this block; one global setting, never tuned
per question. The held-out set (tests/fixtures/faq_test.yaml) is not used here.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.7105, 0.5914, 0.4204, 0.7745, 0.847)
FEATURE_STD: tuple[float, ...] = (0.2797, 0.2414, 0.2198, 0.1954, 0.1699)
WEIGHTS: tuple[float, ...] = (1.7699, 0.7612, 0.1017, 0.9266, 0.4309)
BIAS = 3.2909

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.62
OFFER = 0.39
