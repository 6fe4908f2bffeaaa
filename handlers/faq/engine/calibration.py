"""The confidence model's weights and the two band thresholds.

Fitted by `python -m benchmarks.tools.faq_calibrate --write` on all the development data (the cases
files in tests/fixtures: dev and the once-blind sets, 3,164 cases), with every case's
features computed out of fold and the thresholds chosen on held-out confidences (each
file scored by the model fitted without it); one global setting, never tuned per
question. Held-out figures: `python -m benchmarks.tools.faq_calibrate --cv`.
"""

from __future__ import annotations

# logistic regression over the features in index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.733, 0.5311, 0.4057, 0.6207, 0.9691, 0.5622, 0.962, 0.0926,
    0.6239, 0.1349, 0.4361, 0.2227, -0.1142)
FEATURE_STD: tuple[float, ...] = (0.2564, 0.2181, 0.2017, 0.1261, 0.0961, 0.4303, 0.133, 0.1731,
    0.1486, 0.2442, 0.3903, 0.1463, 0.2505)
WEIGHTS: tuple[float, ...] = (0.5066, 0.1918, 0.679, 0.2591, 0.0738, -0.1488, 0.2178, -0.2591,
    0.1072, -0.1148, -0.1397, -0.6633, -0.536)
BIAS = 2.0178

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.7
OFFER = 0.49
