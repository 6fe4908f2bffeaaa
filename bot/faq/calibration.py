"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,290 cases), with every case's
features computed out of fold; one global setting, never tuned per question. Held-out
figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6676, 0.6155, 0.3767, 0.6541, 0.9209, 0.6298, 0.9086, 0.1118,
    0.6608, 0.1382, 0.4989, 0.2108, -0.1869)
FEATURE_STD: tuple[float, ...] = (0.2732, 0.2269, 0.2082, 0.1525, 0.1418, 0.4265, 0.198, 0.1978,
    0.136, 0.2404, 0.4165, 0.1821, 0.3106)
WEIGHTS: tuple[float, ...] = (0.4261, 0.3288, 0.4719, 0.2408, 0.1063, -0.1059, 0.3653, -0.3379,
    0.1558, -0.1871, -0.0477, -0.6555, -0.5303)
BIAS = 1.8571

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.75
OFFER = 0.53
