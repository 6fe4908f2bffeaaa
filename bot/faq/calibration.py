"""The confidence model's weights and the two band thresholds.

Fitted on the development set only (tests/fixtures/faq_dev.yaml) by
`python -m bot.faq.calibrate`, which prints this block; one global setting, never tuned
per question. The held-out set (tests/fixtures/faq_test.yaml) is not used here.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6882, 0.5676, 0.4152, 0.7607, 0.847)
FEATURE_STD: tuple[float, ...] = (0.2876, 0.2453, 0.227, 0.1975, 0.1699)
WEIGHTS: tuple[float, ...] = (1.4188, 0.7145, 0.2959, 0.7557, 0.3148)
BIAS = 2.4457

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.74
OFFER = 0.45
