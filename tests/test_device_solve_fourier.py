"""FourierCCA decomposes its per-frequency problems in the input's namespace.

For a non-NumPy Array API input the spectral moments stay on the input's
device, and so does every stacked decomposition (Hermitian eigensolver, QR,
SVD) and every fitted array. These tests forbid NumPy's and SciPy's linear
algebra for the length of a fit on CPU PyTorch and on array-api-strict (whose
``device1`` also refuses any implicit conversion to NumPy), and compare every
number with the NumPy fit's. Where a GPU is present the CUDA and CuPy cases
run too.
"""

import os

import numpy as np
import pytest
import sklearn

try:  # scikit-learn's array API test helpers (1.9)
    from sklearn.utils._array_api import (
        move_estimator_to,
    )
except ImportError:  # pragma: no cover - older scikit-learn
    pytest.skip("scikit-learn's array API helpers are missing", allow_module_level=True)

from device_guard import NAMESPACES, host_linalg_forbidden, kind_of, to_host, xp_for

import sklearn_svcca._array_api as array_api
import sklearn_svcca._fourier as fourier
import sklearn_svcca._linalg as linalg
from sklearn_svcca import FourierCCA

pytestmark = pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
)


@pytest.fixture
def stacked_ranks(monkeypatch):
    """Per-frequency ranks of every stacked basis built, in order, on the host."""
    ranks = []
    for name in ("gram_basis", "qr_basis"):
        original = getattr(linalg, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            basis = _original(*args, **kwargs)
            ranks.append((_name, np.asarray(array_api.to_numpy(basis.rank))))
            return basis

        monkeypatch.setattr(linalg, name, spy)
    return ranks


def _maps(seed=0, n=263, x_shape=(5, 4, 3), y_shape=(4, 6, 2), dependent=False):
    """Two layers sharing a signal; odd and even, non-square sizes."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, *x_shape)) + 2.0
    Y = rng.normal(size=(n, *y_shape)) - 1.0
    Y[..., 0] += np.resize(X[..., 0], (n, *y_shape[:2]))
    if dependent:
        # Dependent at every frequency but DC, and one dead channel: auto
        # takes the exact route at all frequencies but DC ("mixed").
        X[..., 2] = X[..., 0] + rng.normal(size=(n, 1, 1))
        Y[..., 1] = 0.5
    return X, Y


CASES = [
    pytest.param(FourierCCA(), {"dependent": True}, "mixed", id="auto-rank-deficient"),
    pytest.param(
        FourierCCA(solver="qr"),
        {"x_shape": (4, 4, 3), "y_shape": (4, 4, 2)},
        "qr",
        id="qr-even",
    ),
    pytest.param(
        FourierCCA(solver="qr", n_components=1),
        {"x_shape": (3, 5, 3), "y_shape": (3, 3, 4)},
        "qr",
        id="qr-odd",
    ),
    pytest.param(
        FourierCCA(solver="gram"),
        {"x_shape": (6, 6, 4), "y_shape": (5, 4, 3)},
        "gram",
        id="gram",
    ),
]


def _check_on_device(est, ref, like):
    """Every public fitted array of ``est`` is of ``like``'s namespace and device."""
    checked = 0
    for name, value in vars(ref).items():
        if isinstance(value, np.ndarray) and not name.startswith("_"):
            assert kind_of(getattr(est, name)) == kind_of(like), name
            checked += 1
    assert checked >= 6


@pytest.mark.parametrize("estimator, data, route", CASES)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fit_score_transform_decompose_on_the_device(
    estimator, data, route, namespace, device, stacked_ranks, assert_same_fit
):
    xp, device = xp_for(namespace, device)
    X, Y = _maps(**data)
    plain = {k: v for k, v in data.items() if k != "dependent"}
    X2, Y2 = _maps(seed=1, n=101, **plain)
    ref = sklearn.clone(estimator).fit(X, Y)
    ref_ranks = list(stacked_ranks)
    stacked_ranks.clear()
    assert ref.solver_ == route
    Xd, Yd, X2d, Y2d = (xp.asarray(a, device=device) for a in (X, Y, X2, Y2))
    with host_linalg_forbidden(), sklearn.config_context(array_api_dispatch=True):
        est = sklearn.clone(estimator).fit(Xd, Yd)
        Xt, Yt = est.transform(X2d, Y2d)
        score = est.score(X2d, Y2d)
        train_score = est.score(Xd, Yd)

    assert est.solver_ == route
    # Same routes, same per-frequency ranks, in the same order.
    assert [name for name, _ in stacked_ranks] == [name for name, _ in ref_ranks]
    for (_, got), (_, want) in zip(stacked_ranks, ref_ranks, strict=True):
        np.testing.assert_array_equal(got, want)
    assert est._pairs_solved == ref._pairs_solved
    _check_on_device(est, ref, Xd)
    assert est.x_weights_.dtype == xp.complex128
    assert_same_fit(move_estimator_to(est, np, "cpu"), ref, rtol=1e-10)
    for got, want in [(Xt, ref.transform(X2)), (Yt, ref.transform(X2, Y2)[1])]:
        assert kind_of(got) == kind_of(Xd)
        np.testing.assert_allclose(to_host(got), want, rtol=0, atol=1e-10)
    assert abs(score - ref.score(X2, Y2)) < 1e-10
    assert abs(train_score - ref.similarity_) < 1e-10


@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_partial_fit_solves_on_the_device(namespace, device, assert_same_fit):
    xp, device = xp_for(namespace, device)
    X, Y = _maps(n=230, dependent=True)
    ref = FourierCCA(solver="gram").fit(X, Y)
    with host_linalg_forbidden(), sklearn.config_context(array_api_dispatch=True):
        est = FourierCCA()
        for a, b in [(0, 1), (1, 2), (2, 150), (150, 230)]:
            est.partial_fit(
                xp.asarray(X[a:b], device=device), xp.asarray(Y[a:b], device=device)
            )
        # The first attribute read solves the merged (device) moments.
        rho = est.canonical_correlations_
        assert kind_of(est._moments.cxx) == kind_of(rho)
        # fit, then one more batch: the fit's moments are merged on the device.
        more = FourierCCA().fit(
            xp.asarray(X[:150], device=device), xp.asarray(Y[:150], device=device)
        )
        more.partial_fit(
            xp.asarray(X[150:], device=device), xp.asarray(Y[150:], device=device)
        )
        more_rho = more.canonical_correlations_
    like = xp.asarray(X, device=device)
    assert kind_of(rho) == kind_of(like) and kind_of(more_rho) == kind_of(like)
    _check_on_device(est, ref, like)
    assert est._pairs_solved == ref._pairs_solved
    assert_same_fit(move_estimator_to(est, np, "cpu"), ref, rtol=1e-10)
    assert_same_fit(move_estimator_to(more, np, "cpu"), ref, rtol=1e-10)


@pytest.mark.parametrize("namespace, device", NAMESPACES)
@pytest.mark.parametrize("one_dimensional_y", [False, True])
def test_dense_layers_solve_on_the_device(
    namespace, device, one_dimensional_y, stacked_ranks, assert_same_fit, monkeypatch
):
    # 2-D input is a 1x1 map: one real problem, the real-arithmetic path.
    xp, device = xp_for(namespace, device)
    rng = np.random.RandomState(3)
    X = rng.normal(size=(200, 6)) + 1.0
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(200, 4))
    X[:, 5] = X[:, 0] - X[:, 1]  # exactly dependent: auto takes the QR route
    y = Y[:, 0] if one_dimensional_y else Y
    ref = FourierCCA().fit(X, y)
    ref_ranks = [r for _, r in stacked_ranks]
    stacked_ranks.clear()
    # The problem is exactly real: it must be solved in real arithmetic.
    dtypes = []
    for name in ("eigh", "svd"):
        original = getattr(linalg, name)

        def spy(a, *args, _original=original, **kwargs):
            dtypes.append(str(a.dtype))
            return _original(a, *args, **kwargs)

        monkeypatch.setattr(linalg, name, spy)
    with host_linalg_forbidden(), sklearn.config_context(array_api_dispatch=True):
        est = FourierCCA().fit(
            xp.asarray(X, device=device), xp.asarray(y, device=device)
        )
        Xt = est.transform(xp.asarray(X, device=device))
    assert dtypes and all("float64" in d for d in dtypes), dtypes
    assert est.solver_ == ref.solver_ == "qr"
    for got, want in zip(stacked_ranks, ref_ranks, strict=True):
        np.testing.assert_array_equal(got[1], want)
    assert_same_fit(move_estimator_to(est, np, "cpu"), ref, rtol=1e-10)
    np.testing.assert_allclose(to_host(Xt), ref.transform(X), rtol=0, atol=1e-10)


def test_a_device_without_float64_solves_on_the_host(monkeypatch, assert_same_fit):
    # Apple MPS has no float64: there the stacked problems are solved on the
    # host in float64 and the fitted arrays are put back on the device. CPU
    # PyTorch stands in for it (the moments are complex128 here, so the
    # numbers still equal NumPy's).
    torch = pytest.importorskip("torch")
    X, Y = _maps(dependent=True)
    ref = FourierCCA().fit(X, Y)
    calls = []
    eigh = np.linalg.eigh

    def spy(a):
        calls.append(a.shape)
        return eigh(a)

    monkeypatch.setattr(np.linalg, "eigh", spy)
    monkeypatch.setattr(fourier, "_solves_on_host", lambda like: True)
    with sklearn.config_context(array_api_dispatch=True):
        est = FourierCCA().fit(torch.asarray(X), torch.asarray(Y))
        score = est.score(torch.asarray(X), torch.asarray(Y))
    assert calls, "the host branch did not run"
    assert isinstance(est.x_weights_, torch.Tensor)
    assert isinstance(est.frequency_correlations_, torch.Tensor)
    assert est.solver_ == "mixed"
    assert_same_fit(move_estimator_to(est, np, "cpu"), ref, rtol=1e-10)
    assert abs(score - ref.similarity_) < 1e-10
