"""The confidence model's weights and the two band thresholds.

Fitted by `python -m bot.faq.calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 2,864 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m bot.faq.calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in bot.faq.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.5864, 0.5925, 0.3909, 0.6132, 0.9557, 0.7561, 0.9253, 0.1339,
    0.6478, 0.2018, 0.624, 0.2421, -0.0884)
FEATURE_STD: tuple[float, ...] = (0.2616, 0.2253, 0.2076, 0.1389, 0.1121, 0.3674, 0.1853, 0.1965,
    0.1404, 0.2829, 0.3823, 0.2078, 0.3131)
WEIGHTS: tuple[float, ...] = (0.3316, 0.2775, 0.5896, 0.0825, 0.0948, -0.1008, 0.3317, -0.3331,
    0.1778, -0.1019, -0.0236, -0.7434, -0.5794)
BIAS = 1.6878

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.77
OFFER = 0.49
