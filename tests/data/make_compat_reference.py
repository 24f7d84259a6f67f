"""Regenerate ``compat_reference.npz``, the expected outputs of the compat tests.

The expected values are computed by ``tests/_original_recipe.py``, a plain
NumPy transcription of the original google/svcca recipe written for the tests
(``np.cov``, ``np.linalg.pinv``, ``np.linalg.eigh``, ``np.linalg.svd``), on
small seeded synthetic activations in the original ``(neurons, datapoints)``
layout. They were produced with NumPy 2.4 by running, from the repository
root::

    python tests/data/make_compat_reference.py

Cases (keys are prefixed with the case name):

- ``wide``: acts1 has more neurons than acts2 (8 vs 6) with non-zero means,
  so ``compute_pwcca`` takes the branch where the original raised IndexError.
- ``eps``: low-variance neurons in both layers dropped by ``epsilon=1e-4``
  (one in acts1, two in acts2), where the original's ``compute_pwcca``
  failed to broadcast.
- ``complex``: complex activations (Hermitian covariance), coefficients only.
"""

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _original_recipe import original_cca, original_pwcca  # noqa: E402

N_DATAPOINTS = 240


def make_cases():
    rng = np.random.RandomState(20180706)
    latent = rng.normal(size=(3, N_DATAPOINTS))

    def layer(n_neurons, noise):
        mix = rng.normal(size=(n_neurons, 3))
        offset = rng.uniform(-2, 3, size=(n_neurons, 1))
        return (
            mix @ latent + noise * rng.normal(size=(n_neurons, N_DATAPOINTS)) + offset
        )

    wide1, wide2 = layer(8, 0.8), layer(6, 0.8)
    eps1, eps2 = layer(6, 0.6), layer(6, 0.6)
    eps1[2] *= 1e-3
    eps2[[1, 4]] *= 1e-3
    cplx1 = layer(4, 0.7) + 1j * layer(4, 0.7)
    cplx2 = layer(5, 0.7) + 1j * layer(5, 0.7)
    return {
        "wide": (wide1, wide2, 0.0),
        "eps": (eps1, eps2, 1e-4),
        "complex": (cplx1, cplx2, 0.0),
    }


def expected(acts1, acts2, epsilon, *, pwcca=True):
    out = {"acts1": acts1, "acts2": acts2, "epsilon": np.float64(epsilon)}
    r = original_cca(acts1, acts2, epsilon)
    for key in ("coefs", "mean", "sum", "x_idxs", "y_idxs", "invsqrt_xx", "invsqrt_yy"):
        out[key] = r[key]
    out["mean_050"] = original_cca(acts1, acts2, epsilon, threshold=0.5)["mean"]
    if pwcca:
        out["pwcca"], out["pwcca_weights"], _ = original_pwcca(acts1, acts2, epsilon)
    return out


def main():
    arrays = {}
    for name, (acts1, acts2, epsilon) in make_cases().items():
        values = expected(acts1, acts2, epsilon, pwcca=not np.iscomplexobj(acts1))
        arrays.update({f"{name}_{key}": value for key, value in values.items()})
    np.savez_compressed(HERE / "compat_reference.npz", **arrays)


if __name__ == "__main__":
    main()
