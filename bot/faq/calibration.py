"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 1,290 cases), with every case's
features computed out of fold; one global setting, never tuned per question. Held-out
figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.6677, 0.6155, 0.3771, 0.6541, 0.9209, 0.6298, 0.9086, 0.1118,
    0.6615, 0.1382, 0.499, 0.2108, -0.1869)
FEATURE_STD: tuple[float, ...] = (0.2732, 0.2269, 0.2079, 0.1525, 0.1418, 0.4265, 0.198, 0.1978,
    0.1358, 0.2404, 0.4165, 0.1821, 0.3106)
WEIGHTS: tuple[float, ...] = (0.4264, 0.3272, 0.4687, 0.2404, 0.1092, -0.1102, 0.3659, -0.3401,
    0.152, -0.1896, -0.0497, -0.6581, -0.5315)
BIAS = 1.8683

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.74
OFFER = 0.53
