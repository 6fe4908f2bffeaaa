"""The confidence model's weights and the two band thresholds.

Fitted on the development set only (tests/fixtures/faq_dev.yaml) by
`python -m bot.faq.calibrate`, which prints this block; one global setting, never tuned
per question. The held-out set (tests/fixtures/faq_test.yaml) is not used here.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6478, 0.5839, 0.3841, 0.648, 0.8473, 0.567, 0.8284, 0.1325)
FEATURE_STD: tuple[float, ...] = (0.3121, 0.2577, 0.228, 0.2033, 0.2107, 0.4419, 0.2788, 0.2309)
WEIGHTS: tuple[float, ...] = (0.7107, 0.3148, 0.4406, 0.451, -0.0279, -0.2639, 0.337, -0.7907)
BIAS = 1.8614

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.72
OFFER = 0.51
