"""
==================================================================
SVCCA tutorial, part 1: a toy example and how many datapoints
==================================================================

The original SVCCA tutorial (google/svcca, "Introduction") starts with CCA of
random "activations", checks that CCA ignores invertible linear transforms,
and then shows that with too few datapoints CCA finds correlations that are
not there. This example reproduces those sections with sklearn-svcca, and
adds the remedy the tutorial only hints at: score on held-out datapoints.

The original code takes arrays of shape ``(neurons, datapoints)``;
scikit-learn, and this library, take ``(datapoints, neurons)``. Every array
below is ``(datapoints, neurons)``: transpose the tutorial's with ``.T``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import KFold, cross_val_score

from sklearn_svcca import CCA
from sklearn_svcca.exceptions import SampleSizeWarning

rng = np.random.RandomState(0)

# %%
# A toy example
# -------------
# Two "layers" of 100 and 50 neurons whose activations on 2000 datapoints
# are independent Gaussian noise. CCA returns min(100, 50) = 50 canonical
# correlations in decreasing order.

A_fake = rng.normal(size=(2000, 100))
B_fake = rng.normal(size=(2000, 50))
cca = CCA().fit(A_fake, B_fake)

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(cca.canonical_correlations_, lw=2.0)
ax.set_xlabel("CCA coef idx")
ax.set_ylabel("CCA coef value")
ax.grid()

# %%
# Their mean summarises the similarity in one number. The tutorial prints
# 0.2074 for its (unseeded) draw: unrelated layers do not score 0, because
# with a finite number of datapoints some linear combinations of the
# neurons correlate by chance.

print(f"Single number for summarizing similarity: {cca.similarity_:.4f}")

# %%
# CCA compares the subspaces spanned by the neurons, not the neurons
# themselves, so an invertible linear transform of a layer is perfectly
# similar to it (the tutorial prints 1.0000):

At_fake = A_fake @ rng.normal(size=(100, 100))
print(f"A vs a linear transform of A: {CCA().fit(A_fake, At_fake).similarity_:.4f}")

# %%
# How many datapoints?
# --------------------
# The tutorial compares two independent layers of 100 neurons on more and
# more datapoints. With as many datapoints as neurons, CCA can make the two
# layers agree perfectly on those datapoints; the similarity falls as the
# number of datapoints grows. Its rules of thumb: use several times more
# datapoints than neurons, and compare against a baseline computed with the
# same number of datapoints.
#
# The held-out score is a third answer. ``cross_val_score`` fits the
# canonical directions on 4/5 of the datapoints and measures how well they
# correlate on the remaining 1/5 (the estimator's ``score``). Chance
# correlations do not carry over to new datapoints, so two unrelated layers
# score about 0 whatever the number of datapoints.

num_datapoints = [101, 200, 500, 1000, 2000, 5000, 10000]
in_sample, held_out = [], []
folds = KFold(n_splits=5, shuffle=True, random_state=0)
for nd in num_datapoints:
    A_fake = rng.normal(size=(nd, 100))
    B_fake = rng.normal(size=(nd, 100))
    # Too few datapoints is the point here: silence the warning that says
    # so (at 101 datapoints, 99 of the 100 correlations are exactly 1).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        in_sample.append(CCA().fit(A_fake, B_fake).similarity_)
        held_out.append(cross_val_score(CCA(), A_fake, B_fake, cv=folds).mean())

print("datapoints   in-sample   held-out")
for nd, s, h in zip(num_datapoints, in_sample, held_out, strict=True):
    print(f"{nd:>10d}   {s:9.3f}   {h:8.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(num_datapoints, in_sample, "o-", lw=2.0, label="in-sample (tutorial)")
ax.plot(num_datapoints, held_out, "s-", lw=2.0, label="held-out (5-fold)")
ax.axhline(0, color="k", lw=0.8)
ax.set_xscale("log")
ax.set_xlabel("Num Datapoints")
ax.set_ylabel("Mean CCA Correlation Coefficient")
ax.legend()
ax.grid()

# %%
# The in-sample curve is the tutorial's: it drops steeply between 100 and
# 500 datapoints and is still about 0.1 at 10000. The held-out curve stays
# at 0: on new datapoints, unrelated layers are unrelated. Use held-out
# scores to compare similarities computed with different numbers of
# datapoints or neurons, and in-sample ones only against a baseline of the
# same shape.

plt.show()
