"""Published model results the tests reproduce, in one place (each with its source).

Values are as printed in the papers (3 or 4 significant digits); tests compare with a tolerance
that matches the printed precision.
"""
from __future__ import annotations

# Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
# Pareto/NBD model", Marketing Science 24(2): CDNOW 1/10 sample (2,357 customers), weeks,
# calibration to 1997-09-30.
FHL2005_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# The same data fitted by the Pareto/NBD (Schmittlein, Morrison & Colombo 1987) in FHL 2005.
FHL2005_PARETO_NBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
# Fader, Hardie & Lee (2005b), "RFM and CLV: using iso-value curves", Journal of Marketing
# Research 42(4): Gamma-Gamma on the CDNOW sample's mean repeat spend.
FHL2005_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
# Fader & Hardie (2007), "How to project customer retention", Journal of Interactive Marketing
# 21(1): shifted-beta-geometric fitted on years 1-7 of the two cohorts of 1,000 customers.
FH2007_SBG = {"regular": {"alpha": 0.704, "beta": 1.182}, "high_end": {"alpha": 0.668, "beta": 3.806}}
# CDNOW sample: repeat purchase days in the 39-week holdout (1997-10-01 .. 1998-06-30).
CDNOW_HOLDOUT_REPEAT_DAYS = 1882
