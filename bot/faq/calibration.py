"""The confidence model's weights and the two band thresholds.

Fitted on the development set only (tests/fixtures/faq_dev.yaml) by
`python -m bot.faq.calibrate`, which prints this block; one global setting, never tuned
per question. The held-out set (tests/fixtures/faq_test.yaml) is not used here.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN = (0.5, 0.5, 0.5, 0.5, 0.5)
FEATURE_STD = (0.3, 0.3, 0.3, 0.3, 0.3)
WEIGHTS = (2.5, 1.0, 1.0, 0.5, 0.3)
BIAS = 0.0

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.75
OFFER = 0.35
