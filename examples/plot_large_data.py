"""
=====================================================
Comparing layers on more samples than fit in memory
=====================================================

CCA needs the data only through their sufficient statistics: the sample
count, the means and the centered cross-products of the two layers, a few
``(p + q)²`` numbers however many samples there are. So the activations can
be streamed batch by batch with :meth:`~sklearn_svcca.CCA.partial_fit` (for
instance straight from a PyTorch ``DataLoader``), or handed over as a Dask
array whose chunks live on other machines; both give the same fit as
:meth:`~sklearn_svcca.CCA.fit` on all the samples at once.
"""

# %%
# Two layers seen through a stream of batches
# -------------------------------------------
# A stand-in for a data loader: each batch holds the activations of two
# layers (64 and 48 neurons, some of them dead ReLUs) on the same inputs.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_svcca import PWCCA

rng = np.random.RandomState(0)
W_in = rng.normal(size=(20, 64))
W_out = rng.normal(size=(64, 48)) / 8


def batches(n_batches=50, batch_size=2000, seed=1):
    stream = np.random.RandomState(seed)
    for _ in range(n_batches):
        inputs = stream.normal(size=(batch_size, 20))
        layer1 = np.maximum(inputs @ W_in - 1.0, 0)
        noise = 0.3 * stream.normal(size=(batch_size, 48))
        layer2 = np.maximum(layer1 @ W_out + noise, 0)
        yield layer1.astype(np.float32), layer2.astype(np.float32)


streamed = PWCCA()
for layer1, layer2 in batches():
    streamed.partial_fit(layer1, layer2)
print(f"{streamed.n_samples_seen_} samples streamed")
print(f"PWCCA similarity: {streamed.similarity_:.6f}")

# %%
# The same as one fit on everything
# ---------------------------------
# Here everything does fit in memory, so we can check: the streamed fit and
# the in-memory fit agree to rounding.
all_batches = list(batches())
layer1 = np.concatenate([b[0] for b in all_batches])
layer2 = np.concatenate([b[1] for b in all_batches])
full = PWCCA().fit(layer1, layer2)
print(f"in-memory PWCCA:  {full.similarity_:.6f}")
diff = np.abs(full.canonical_correlations_ - streamed.canonical_correlations_)
print(f"largest difference between the canonical correlations: {diff.max():.1e}")

# %%
# A Dask array chunked by rows
# ----------------------------
# With Dask, each chunk of rows is summarised where it lives and the
# summaries are merged up a tree; only the final summary comes back. (With a
# ``distributed.Client`` connected to a cluster, the same call runs there.)
try:
    import dask.array as da
except ImportError:  # the `dask` extra is not installed
    da = None

if da is not None:
    lazy1 = da.from_array(layer1, chunks=(10_000, -1))
    lazy2 = da.from_array(layer2, chunks=(10_000, -1))
    distributed_fit = PWCCA().fit(lazy1, lazy2)
    print(f"Dask PWCCA:       {distributed_fit.similarity_:.6f}")
    variates = distributed_fit.transform(lazy1)  # lazy: nothing computed yet
    print(type(variates).__name__, variates.shape, variates.chunks[0][:3], "...")

# %%
# The canonical correlations
# --------------------------
# The projection weights of PWCCA (bars) show which canonical directions
# carry the first layer's activations.
fig, ax = plt.subplots(figsize=(6, 3.5))
k = np.arange(1, streamed.n_components_ + 1)
ax.plot(k, full.canonical_correlations_, "o", label="fit (in memory)")
ax.plot(k, streamed.canonical_correlations_, ".", label="partial_fit (streamed)")
ax.bar(
    k,
    streamed.projection_weights_ / streamed.projection_weights_.max(),
    color="0.85",
    zorder=0,
    label="projection weight (scaled)",
)
ax.set_xlabel("canonical pair")
ax.set_ylabel("canonical correlation")
ax.legend()
fig.tight_layout()
plt.show()
