"""The dense engine solves on the input's device (issue 12).

CCA, SVCCA and PWCCA fitted on a non-NumPy Array API array keep the moments,
the decompositions and every ``p × p`` matrix in the array's namespace: with
NumPy's and SciPy's linear algebra made to raise, fits on CPU torch and on
array-api-strict must still succeed, give NumPy's numbers, and leave their
fitted arrays in the input's namespace and on its device. Only the few
per-column numbers that drive decisions (eigenvalues for the rank cut,
column indices) come to the host.
"""

import os

import numpy as np
import pytest
import sklearn
from device_guard import NAMESPACES, host_linalg_forbidden, kind_of, to_host, xp_for

import sklearn_svcca._array_api as array_api
from sklearn_svcca import CCA, PWCCA, SVCCA

pytestmark = pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
)


def _data(seed=0, n=301, p=9, q=6, *, kind="plain", dtype=np.float64):
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n, 3))
    X = Z @ rng.normal(size=(3, p)) + rng.normal(size=(n, p)) + 2.0
    Y = Z @ rng.normal(size=(3, q)) + rng.normal(size=(n, q)) - 1.0
    if kind == "deficient":
        X[:, -1] = X[:, 0] - X[:, 1]  # exactly dependent: auto takes QR
        X[:, -2] = 3.0  # a dead neuron
        Y[:, 0] = 0.0  # a dead neuron in y
    return X.astype(dtype), Y.astype(dtype)


ESTIMATORS = [
    CCA(),
    CCA(solver="gram"),
    CCA(solver="qr"),
    CCA(n_components=3, reg=0.3),
    SVCCA(svd_dims=3),
    SVCCA(svd_dims=0.9, solver="qr"),
    SVCCA(svd_dims="mle", solver="gram"),
    SVCCA(svd_dims=4, reg=0.2),
    PWCCA(),
    PWCCA(weights_from="y", solver="gram"),
    PWCCA(solver="qr"),
]


def _clone(est):
    return type(est)(**est.get_params())


def _assert_matches(est, ref, like, *, rtol=1e-10):
    """Ranks equal; floats and arrays within ``rtol`` of their scale;
    every floating fitted array in ``like``'s namespace and device."""
    assert est.solver_ == ref.solver_
    assert (est.x_rank_, est.y_rank_) == (ref.x_rank_, ref.y_rank_)
    assert est.n_components_ == ref.n_components_
    for name, want in vars(ref).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        got = getattr(est, name)
        if isinstance(want, np.ndarray) and want.dtype.kind == "f":
            assert kind_of(got) == kind_of(like), name
            got = to_host(got)
            assert got.shape == want.shape, name
            scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-300)
            err = float(np.max(np.abs(got - want), initial=0.0)) / scale
            assert err <= rtol, f"{name}: relative error {err:.1e}"
        elif isinstance(want, float):
            assert abs(got - want) <= rtol * max(abs(want), 1.0), name
        else:
            assert got == want, name


@pytest.mark.parametrize("kind", ["plain", "deficient", "float32"])
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fit_score_transform_solve_on_the_device(estimator, namespace, device, kind):
    dtype = np.float32 if kind == "float32" else np.float64
    X, Y = _data(kind="deficient" if kind == "deficient" else "plain", dtype=dtype)
    X2, Y2 = _data(seed=1, dtype=dtype)
    ref = _clone(estimator).fit(X, Y)
    ref_score = ref.score(X2, Y2)
    ref_t = ref.transform(X2, Y2)
    xp, device = xp_for(namespace, device, np.dtype(dtype).name)
    like = xp.asarray(X, device=device)
    with host_linalg_forbidden(), sklearn.config_context(array_api_dispatch=True):
        est = _clone(estimator).fit(like, xp.asarray(Y, device=device))
        score = est.score(xp.asarray(X2, device=device), xp.asarray(Y2, device=device))
        Xt, Yt = est.transform(
            xp.asarray(X2, device=device), xp.asarray(Y2, device=device)
        )
    _assert_matches(est, ref, like)
    assert isinstance(score, float)
    assert abs(score - ref_score) <= 1e-10
    atol = 1e-4 if dtype == np.float32 else 1e-9
    for got, want in zip((Xt, Yt), ref_t, strict=True):
        assert kind_of(got) == kind_of(like)
        np.testing.assert_allclose(to_host(got), want, rtol=0, atol=atol)


@pytest.mark.parametrize(
    "estimator", [CCA(), SVCCA(svd_dims=0.95), PWCCA(), CCA(reg=0.1)], ids=repr
)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_partial_fit_solves_on_the_device(estimator, namespace, device):
    X, Y = _data(kind="deficient")
    # The Gram route is the only one streaming has: compare with NumPy's.
    ref = _clone(estimator).set_params(solver="gram").fit(X, Y)
    ref_score = ref.score(X, Y)
    xp, device = xp_for(namespace, device)
    like = xp.asarray(X, device=device)
    est = _clone(estimator)
    with host_linalg_forbidden(), sklearn.config_context(array_api_dispatch=True):
        for a, b in [(0, 2), (2, 50), (50, 301)]:
            est.partial_fit(
                xp.asarray(X[a:b], device=device), xp.asarray(Y[a:b], device=device)
            )
        # The running moments stay on the device too.
        assert kind_of(est._moments.cxx) == kind_of(like)
        score = est.score(like, xp.asarray(Y, device=device))
        _assert_matches(est, ref, like)
    assert abs(score - ref_score) <= 1e-10


def test_the_guard_catches_host_linear_algebra():
    # The guard is wired: a NumPy fit, which decomposes with SciPy, fails.
    X, Y = _data()
    with (
        host_linalg_forbidden(),
        pytest.raises(AssertionError, match="was called during"),
    ):
        CCA().fit(X, Y)


@pytest.mark.parametrize("estimator", [CCA(), SVCCA(svd_dims=3), PWCCA()], ids=repr)
def test_without_float64_the_solve_runs_on_the_host(estimator, monkeypatch):
    # Apple MPS has no float64: moments are accumulated on the device in
    # float32 and the decompositions run on the host in float64. Simulated
    # on CPU torch by a device that reports no float64.
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(array_api, "float_dtype", lambda xp, device: xp.float32)
    X, Y = _data()
    ref = _clone(estimator).fit(X, Y)
    with sklearn.config_context(array_api_dispatch=True):
        est = _clone(estimator).fit(torch.asarray(X), torch.asarray(Y))
    assert isinstance(est.x_weights_, torch.Tensor)
    assert est.x_weights_.dtype == torch.float32
    assert est._moments.cxx.dtype == np.float64  # host, float64
    np.testing.assert_allclose(
        to_host(est.canonical_correlations_), ref.canonical_correlations_, atol=1e-5
    )


@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_moments_and_their_merge_stay_on_the_device(namespace, device):
    # Chan et al.'s merge of two device batches equals the moments of all
    # the samples, on the device, and the NumPy moments to rounding.
    from sklearn_svcca._linalg import compute_moments, merge_moments

    X, Y = _data(kind="deficient")
    xp, device = xp_for(namespace, device)
    Xd, Yd = xp.asarray(X, device=device), xp.asarray(Y, device=device)
    whole = compute_moments(Xd, Yd)
    merged = merge_moments(
        compute_moments(Xd[:40, ...], Yd[:40, ...]),
        compute_moments(Xd[40:, ...], Yd[40:, ...]),
    )
    expected = compute_moments(X, Y)
    assert whole.n_samples == merged.n_samples == X.shape[0]
    for name in ("x_mean", "y_mean", "cxx", "cyy", "cxy"):
        want = getattr(expected, name)
        for got in (getattr(whole, name), getattr(merged, name)):
            assert kind_of(got) == kind_of(Xd)
            np.testing.assert_allclose(
                to_host(got), want, rtol=0, atol=1e-12 * np.max(np.abs(want))
            )
    # Dense moments carry no sums of squares, through the merge too.
    assert merged.x_sumsq is None and merged.y_sumsq is None
