"""Procrustes, angular_distance and linear CKA solve on the input's device.

As ``test_device_solve.py`` for the dense CCA engine: with NumPy's and
SciPy's linear algebra made to raise (``device_guard``), Procrustes fitted on
CPU torch or array-api-strict input must succeed, give NumPy's numbers, and
keep its moments and fitted arrays in the input's namespace and on its
device. Only column indices and the three sums of the cosine come to the host.
Linear CKA (plain) is three Frobenius norms of the device moments; the
debiased form merges its sums on the host and RBF CKA is NumPy work by design
(``docs/scaling.rst``).
"""

import os

import numpy as np
import pytest
import sklearn
from device_guard import NAMESPACES, host_linalg_forbidden, kind_of, to_host, xp_for
from test_device_solve import _data

import sklearn_svcca._array_api as array_api
from sklearn_svcca import CKA, Procrustes, angular_distance

pytestmark = pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
)

ALPHAS = [0.0, 0.5, 1.0]
# (p, q) = (9, 6) is _data's default: x wider; (4, 7) makes y the wider view.
SHAPES = {"x_wider": {}, "y_wider": {"p": 4, "q": 7}}


def _free_columns(ref, X, Y):
    """Columns of the aligned space whose directions the SVD leaves free.

    ``diag(Xtᵀ Yt)`` on the training data is the SVD's ``σ`` (zero for the
    wider view's unpaired columns). Directions with a distinct nonzero ``σ``
    are unique up to the joint sign that ``svd_flip`` fixes; those with
    ``σ = 0`` (unpaired, or paired across a rank deficit) are any
    orthonormal basis of a null space, which LAPACK builds differ on. For
    them only the subspace, ``W_g W_gᵀ``, is determined.
    """
    Xt, Yt = ref.transform(X, Y)
    sigma = np.einsum("ij,ij->j", Xt - Xt.mean(axis=0), Yt - Yt.mean(axis=0))
    return np.flatnonzero(sigma <= 1e-8 * sigma.max())


def _determined(W, free):
    """``W`` with its free columns replaced by their projector ``W_g W_gᵀ``."""
    kept = np.setdiff1d(np.arange(W.shape[1]), free)
    return np.c_[W[:, kept], W[:, free] @ W[:, free].T]


def _assert_matches(est, ref, like, free, *, rtol=1e-10):
    """Every public fitted attribute equal to NumPy's within ``rtol`` of its
    scale (the weights' free columns as a subspace), its floating arrays in
    ``like``'s namespace and on its device."""
    names = [n for n in vars(ref) if n.endswith("_") and not n.startswith("_")]
    assert sorted(names) == sorted(
        n for n in vars(est) if n.endswith("_") and not n.startswith("_")
    )
    for name in names:
        want, got = getattr(ref, name), getattr(est, name)
        if isinstance(want, np.ndarray) and want.dtype.kind == "f":
            assert kind_of(got) == kind_of(like), name
            got = to_host(got)
            assert got.shape == want.shape, name
            if name.endswith("weights_"):
                got, want = _determined(got, free), _determined(want, free)
            scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
            err = float(np.max(np.abs(got - want), initial=0.0)) / scale
            assert err <= rtol, f"{name}: relative error {err:.1e}"
        elif isinstance(want, float):
            assert isinstance(got, float), name
            assert abs(got - want) <= rtol * max(abs(want), 1.0), name
        else:
            assert got == want, name


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["plain", "deficient", "float32"])
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_procrustes_fit_score_transform_solve_on_the_device(
    alpha, namespace, device, kind, shape
):
    # "deficient": dead neurons in both views and an exactly dependent one.
    dtype = np.float32 if kind == "float32" else np.float64
    structure = "deficient" if kind == "deficient" else "plain"
    X, Y = _data(kind=structure, dtype=dtype, **SHAPES[shape])
    # Held-out data share the training data's dead and dependent neurons: on
    # other data a direction with sigma = 0 (whose partner the SVD leaves
    # free) could map samples to nonzero values, and the score would depend
    # on LAPACK's choice of basis.
    X2, Y2 = _data(seed=1, kind=structure, dtype=dtype, **SHAPES[shape])
    ref = Procrustes(alpha=alpha).fit(X, Y)
    ref_score = ref.score(X2, Y2)
    xp, device = xp_for(namespace, device, np.dtype(dtype).name)
    like = xp.asarray(X, device=device)
    X2d, Y2d = xp.asarray(X2, device=device), xp.asarray(Y2, device=device)
    with host_linalg_forbidden(), sklearn.config_context(array_api_dispatch=True):
        est = Procrustes(alpha=alpha).fit(like, xp.asarray(Y, device=device))
        score = est.score(X2d, Y2d)
        Xt, Yt = est.transform(X2d, Y2d)
        distance = angular_distance(like, xp.asarray(Y, device=device), alpha=alpha)
    assert kind_of(est._moments.cxx) == kind_of(like)
    _assert_matches(est, ref, like, _free_columns(ref, X, Y))
    # Neither depends on the free directions' basis: at sigma = 0 one side
    # of each pair maps every sample (of this structure) to zero.
    assert isinstance(score, float)
    assert abs(score - ref_score) <= 1e-10
    assert isinstance(distance, float)
    assert abs(distance - ref.angular_distance_) <= 1e-10
    # transform is the centering and the device's own weights, on the device.
    atol = 1e-4 if dtype == np.float32 else 1e-9
    for got, A, mean, W in (
        (Xt, X2, ref.x_mean_, est.x_weights_),
        (Yt, Y2, ref.y_mean_, est.y_weights_),
    ):
        assert kind_of(got) == kind_of(like)
        want = (A.astype(np.float64) - mean) @ to_host(W)
        np.testing.assert_allclose(to_host(got), want, rtol=0, atol=atol)


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_procrustes_partial_fit_solves_on_the_device(alpha, namespace, device):
    X, Y = _data(kind="deficient")
    ref = Procrustes(alpha=alpha).fit(X, Y)
    ref_score = ref.score(X, Y)
    xp, device = xp_for(namespace, device)
    like = xp.asarray(X, device=device)
    est = Procrustes(alpha=alpha)
    with host_linalg_forbidden(), sklearn.config_context(array_api_dispatch=True):
        for a, b in [(0, 2), (2, 50), (50, 301)]:
            est.partial_fit(
                xp.asarray(X[a:b], device=device), xp.asarray(Y[a:b], device=device)
            )
        assert kind_of(est._moments.cxx) == kind_of(like)
        score = est.score(like, xp.asarray(Y, device=device))
        _assert_matches(est, ref, like, _free_columns(ref, X, Y))
    assert abs(score - ref_score) <= 1e-10


@pytest.mark.parametrize("kind", ["plain", "deficient", "float32"])
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_linear_cka_fit_score_partial_fit_stay_on_the_device(namespace, device, kind):
    dtype = np.float32 if kind == "float32" else np.float64
    structure = "deficient" if kind == "deficient" else "plain"
    X, Y = _data(kind=structure, dtype=dtype)
    X2, Y2 = _data(seed=1, dtype=dtype)
    ref = CKA().fit(X, Y)
    ref_score = ref.score(X2, Y2)
    xp, device = xp_for(namespace, device, np.dtype(dtype).name)
    like = xp.asarray(X, device=device)
    Xd, Yd = like, xp.asarray(Y, device=device)
    streamed = CKA()
    with (
        host_linalg_forbidden(),
        sklearn.config_context(array_api_dispatch=True),
        # No matrix comes to the host (per-column numbers and scalars do).
        pytest.MonkeyPatch.context() as mp,
    ):
        to_numpy = array_api.to_numpy
        moved = []
        mp.setattr(
            array_api, "to_numpy", lambda a: moved.append(a.shape) or to_numpy(a)
        )
        est = CKA().fit(Xd, Yd)
        score = est.score(xp.asarray(X2, device=device), xp.asarray(Y2, device=device))
        for a, b in [(0, 2), (2, 50), (50, 301)]:
            streamed.partial_fit(Xd[a:b, ...], Yd[a:b, ...])
        streamed_similarity = streamed.similarity_
    assert all(len(shape) <= 1 for shape in moved), moved
    for fitted in (est, streamed):
        assert kind_of(fitted._moments.cxx) == kind_of(like)
    assert isinstance(est.similarity_, float) and isinstance(score, float)
    assert abs(est.similarity_ - ref.similarity_) <= 1e-10
    assert abs(streamed_similarity - ref.similarity_) <= 1e-10
    assert abs(score - ref_score) <= 1e-10
