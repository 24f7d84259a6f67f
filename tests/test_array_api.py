"""Array API inputs: computed in their namespace and on their device.

With ``array_api_dispatch=True`` a fit on an array of another library must
give the NumPy fit's numbers (the same algorithm, the small decompositions on
the host in float64), return fitted arrays and outputs of the input's kind on
its device, and never move ``n_samples``-sized data to the host.
array-api-strict's ``device1`` refuses any implicit conversion to NumPy, so a
fit that succeeds there did its data-sized work in the namespace.
"""

import os

import numpy as np
import pytest
import scipy.linalg
import sklearn
from sklearn.utils.estimator_checks import check_array_api_input

try:  # scikit-learn's array API test helpers (1.9)
    from sklearn.utils._array_api import (
        move_estimator_to,
        yield_namespace_device_dtype_combinations,
    )
except ImportError:  # pragma: no cover - older scikit-learn
    pytest.skip("scikit-learn's array API helpers are missing", allow_module_level=True)

from device_guard import NAMESPACES, kind_of, to_host, xp_for

import sklearn_svcca._array_api as array_api
import sklearn_svcca._fourier as fourier
import sklearn_svcca._linalg as linalg
from sklearn_svcca import CCA, CKA, PWCCA, SVCCA, FourierCCA, Procrustes

import synthetic
from estimators import CASES, Case, ids

# The measures whose input is a 2-D view (all but FourierCCA's conv maps,
# which have their own section below).
DENSE = [c for c in CASES if not c.maps]

pytestmark = pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
)

ESTIMATORS = [
    CCA(),
    CCA(solver="qr"),
    CCA(n_components=3, reg=0.3),
    SVCCA(svd_dims=3),
    SVCCA(svd_dims=0.9, solver="qr"),
    PWCCA(),
    PWCCA(weights_from="y", solver="gram"),
]


def _clone(est):
    return type(est)(**est.get_params())


def _data(seed=0, n=257, p=7, q=5, rank_deficient=False):
    # With rank_deficient, X has an exactly dependent neuron (auto takes QR)
    # and a dead one.
    return synthetic.views(
        seed, n, p, q, latent=3, offset=(2.0, -1.0), rank_deficient=rank_deficient
    )


@pytest.mark.parametrize(
    "namespace, device, dtype", list(yield_namespace_device_dtype_combinations())
)
@pytest.mark.parametrize(
    "estimator",
    [CCA(), SVCCA(), PWCCA(), FourierCCA(), CKA(), CKA(debiased=True), Procrustes()],
    ids=repr,
)
def test_check_array_api_input_and_values(estimator, namespace, device, dtype):
    # scikit-learn's own check, with values compared to the NumPy fit too.
    # Its data have two redundant features which, cast to float32, are
    # dependent only up to float32 rounding; the rank tolerance knows the
    # input's precision and drops them, so float32 values agree too.
    check_array_api_input(
        type(estimator).__name__,
        estimator,
        array_namespace=namespace,
        device_name=device,
        dtype_name=dtype,
        check_values=True,
    )


@pytest.mark.parametrize("rank_deficient", [False, True])
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fit_transform_score_match_numpy(
    estimator, namespace, device, rank_deficient, assert_same_fit
):
    xp, device = xp_for(namespace, device)
    X, Y = _data(rank_deficient=rank_deficient)
    X2, Y2 = _data(seed=1)
    ref = _clone(estimator).fit(X, Y)
    expected_kind = kind_of(xp.asarray(X, device=device))
    with sklearn.config_context(array_api_dispatch=True):
        est = _clone(estimator).fit(
            xp.asarray(X, device=device), xp.asarray(Y, device=device)
        )
        Xt, Yt = est.transform(
            xp.asarray(X2, device=device), xp.asarray(Y2, device=device)
        )
        score = est.score(xp.asarray(X2, device=device), xp.asarray(Y2, device=device))

    assert est.solver_ == ref.solver_
    for name, value in vars(ref).items():
        if isinstance(value, np.ndarray):
            assert kind_of(getattr(est, name)) == expected_kind, name
    assert_same_fit(move_estimator_to(est, np, "cpu"), ref, rtol=1e-12)

    for got, want in [(Xt, ref.transform(X2)), (Yt, ref.transform(X2, Y2)[1])]:
        assert kind_of(got) == expected_kind
        np.testing.assert_allclose(to_host(got), want, rtol=0, atol=1e-11)
    assert isinstance(score, float)
    assert abs(score - ref.score(X2, Y2)) < 1e-12


@pytest.mark.parametrize("case", DENSE, ids=ids)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_float32_input(case, namespace, device):
    xp, device = xp_for(namespace, device, "float32")
    X, Y = (a.astype(np.float32) for a in _data())
    ref = case.make().fit(X, Y)
    with sklearn.config_context(array_api_dispatch=True):
        est = case.make().fit(
            xp.asarray(X, device=device), xp.asarray(Y, device=device)
        )
        Xt = est.transform(xp.asarray(X, device=device)) if case.transform else None
    # Accumulated and decomposed in float64 (where the device has it), like
    # NumPy; the variates come out in the input's dtype.
    assert abs(est.similarity_ - ref.similarity_) < 1e-12
    if case.family == "cca":
        np.testing.assert_allclose(
            to_host(est.canonical_correlations_),
            ref.canonical_correlations_,
            atol=1e-12,
        )
    if Xt is not None:
        assert est.x_weights_.dtype == array_api.float_dtype(xp, device)
        assert Xt.dtype == xp.float32
        np.testing.assert_allclose(to_host(Xt), ref.transform(X), atol=1e-4)


@pytest.fixture
def host_transfers(monkeypatch):
    """Shapes of the arrays explicitly moved to the host during the test."""
    moved = []
    to_numpy = array_api.to_numpy

    def spy(a):
        moved.append(tuple(a.shape))
        return to_numpy(a)

    monkeypatch.setattr(array_api, "to_numpy", spy)
    return moved


# RBF CKA forms its n x n kernels on the host by design (see
# test_cka_and_procrustes_match_numpy).
NO_HOST_DATA = [c for c in DENSE if getattr(c.estimator, "kernel", None) != "rbf"]


@pytest.mark.parametrize("case", NO_HOST_DATA, ids=ids)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_no_data_sized_array_reaches_the_host(
    case, namespace, device, monkeypatch, host_transfers
):
    # Spy on every explicit host transfer and forbid SciPy's QR: with the
    # rank-deficient data the CCA family's auto takes the exact QR route,
    # which must run in the namespace too.
    xp, device = xp_for(namespace, device)
    n = 311
    X, Y = _data(n=n, rank_deficient=True)
    moved = host_transfers
    exact_route = _route_on_rank_deficient(case, X, Y)  # NumPy: before the spy
    moved.clear()

    def no_scipy_qr(*args, **kwargs):
        raise AssertionError("scipy.linalg.qr called on device data")

    monkeypatch.setattr(scipy.linalg, "qr", no_scipy_qr)
    _use_every_method(case.make(), X, Y, xp, device, exact_route=exact_route)
    assert moved, "nothing was transferred: the spy is not wired"
    assert all(n not in shape for shape in moved), moved


def _route_on_rank_deficient(case, X, Y):
    """The route auto takes for NumPy input (None: CKA, Procrustes have none).

    The exact one, except for SVCCA, whose kept top directions are
    well-conditioned: its Gram route is exact there.
    """
    if case.family != "cca":
        return None
    route = case.make().fit(X, Y).solver_
    assert route == ("gram" if isinstance(case.estimator, SVCCA) else "qr")
    return route


def _use_every_method(est, X, Y, xp, device, *, exact_route):
    """fit (on the exact route), score, transform, then partial_fit, on device.

    ``exact_route=None``: the measure has no routes (CKA, Procrustes).
    """
    with sklearn.config_context(array_api_dispatch=True):
        Xx, Yx = xp.asarray(X, device=device), xp.asarray(Y, device=device)
        est.fit(Xx, Yx)
        if exact_route is not None:
            assert est.solver_ == exact_route
        est.score(Xx, Yx)
        if hasattr(est, "transform"):
            est.transform(Xx, Yx)
        est.partial_fit(Xx, Yx)
        _ = est.similarity_  # partial_fit's solve runs here
    if exact_route is not None:
        assert est.solver_ == "gram"  # partial_fit never holds the data
    return est


@pytest.mark.parametrize("case", [Case(SVCCA(svd_dims=4)), *DENSE], ids=ids)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_partial_fit_matches_fit(case, namespace, device, assert_same_fit):
    xp, device = xp_for(namespace, device)
    X, Y = _data(n=200)
    est = case.make()
    with sklearn.config_context(array_api_dispatch=True):
        for a, b in [(0, 1), (1, 2), (2, 120), (120, 200)]:
            est.partial_fit(
                xp.asarray(X[a:b], device=device), xp.asarray(Y[a:b], device=device)
            )
        _ = est.similarity_  # solved on first use, in the namespace
    if case.transform:
        assert kind_of(est.x_weights_) == kind_of(xp.asarray(X, device=device))
    assert_same_fit(move_estimator_to(est, np, "cpu"), case.make().fit(X, Y), 1e-10)


@pytest.mark.parametrize("case", DENSE, ids=ids)
def test_mixed_inputs_follow_x(case, assert_same_fit):
    torch = pytest.importorskip("torch")
    X, Y = _data()
    ref = case.make().fit(X, Y)
    with sklearn.config_context(array_api_dispatch=True):
        est = case.make().fit(torch.asarray(X), Y)  # y is moved to X's namespace
        assert abs(est.similarity_ - ref.similarity_) < 1e-12
        if case.transform:
            assert isinstance(est.x_weights_, torch.Tensor)
            Xt, Yt = est.transform(torch.asarray(X), Y)
            assert isinstance(Xt, torch.Tensor) and isinstance(Yt, torch.Tensor)
        est_np = case.make().fit(X, torch.asarray(Y))
        if case.transform:
            assert isinstance(est_np.x_weights_, np.ndarray)
    assert_same_fit(est_np, ref, rtol=1e-12)


@pytest.mark.parametrize("case", DENSE, ids=ids)
def test_namespace_mismatch_after_fit_is_an_error(case):
    xp, device = xp_for("array_api_strict", "device1")
    X, Y = _data()
    name = type(case.estimator).__name__
    with sklearn.config_context(array_api_dispatch=True):
        est = case.make().fit(
            xp.asarray(X, device=device), xp.asarray(Y, device=device)
        )
        if not case.transform:
            # CKA keeps no fitted arrays: any data can be scored, and the
            # score is the CKA of those data.
            assert est.score(X, Y) == pytest.approx(case.make().fit(X, Y).similarity_)
            return
        with pytest.raises(
            ValueError, match=rf"{name}.transform\(\) must use the same"
        ):
            est.transform(X)
        with pytest.raises(ValueError, match=rf"{name}.score\(\) must use the same"):
            est.score(X, Y)


@pytest.mark.parametrize("case", DENSE, ids=ids)
def test_without_dispatch_arrays_are_converted_to_numpy(case):
    torch = pytest.importorskip("torch")
    X, Y = _data()
    est = case.make().fit(torch.asarray(X), torch.asarray(Y))
    assert est.similarity_ == pytest.approx(case.make().fit(X, Y).similarity_)
    assert isinstance(est.score(torch.asarray(X), torch.asarray(Y)), float)
    if case.transform:
        assert isinstance(est.x_weights_, np.ndarray)
        assert isinstance(est.transform(torch.asarray(X)), np.ndarray)


@pytest.mark.parametrize("case", DENSE, ids=ids)
def test_numpy_input_takes_the_numpy_path_under_dispatch(case, monkeypatch):
    # NumPy input must not pay for the generic path, dispatch or not.
    def forbidden(*args, **kwargs):
        raise AssertionError("generic path used for NumPy input")

    monkeypatch.setattr(linalg, "_namespace_moments", forbidden)
    X, Y = _data(rank_deficient=True)
    with sklearn.config_context(array_api_dispatch=True):
        est = case.make().fit(X, Y)
        est.score(X, Y)
    if case.family == "cca":
        assert est.solver_ == _route_on_rank_deficient(case, X, Y)
    if case.transform:
        assert isinstance(est.x_weights_, np.ndarray)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_tags_declare_array_api_support(case):
    assert case.make().__sklearn_tags__().array_api_support


# ------------------------------------------------------------- FourierCCA
# The FFT, centering and every per-frequency product over samples run in the
# namespace; the (n_solved, p + q, p + q) statistics are decomposed on the
# host, so a fit must give the NumPy fit's numbers on every route.


def _maps(seed=0, n=263, x_shape=(5, 4, 3), y_shape=(4, 6, 2), dependent=False):
    """Two layers of conv maps sharing a signal; different, non-square maps."""
    return synthetic.maps(seed, n, x_shape, y_shape, dependent=dependent)


FOURIER_CASES = [
    (FourierCCA(), {}),
    (FourierCCA(), {"dependent": True}),
    (FourierCCA(solver="qr", n_components=1), {}),
    (FourierCCA(solver="gram"), {"x_shape": (4, 4, 3), "y_shape": (4, 4, 2)}),
]


@pytest.mark.parametrize("estimator, data", FOURIER_CASES, ids=str)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fourier_fit_transform_score_match_numpy(
    estimator, data, namespace, device, assert_same_fit
):
    xp, device = xp_for(namespace, device)
    X, Y = _maps(**data)
    X2, Y2 = _maps(seed=1, n=101, **{k: v for k, v in data.items() if k != "dependent"})
    ref = _clone(estimator).fit(X, Y)
    expected_kind = kind_of(xp.asarray(X, device=device))
    with sklearn.config_context(array_api_dispatch=True):
        est = _clone(estimator).fit(
            xp.asarray(X, device=device), xp.asarray(Y, device=device)
        )
        Xt, Yt = est.transform(
            xp.asarray(X2, device=device), xp.asarray(Y2, device=device)
        )
        score = est.score(xp.asarray(X2, device=device), xp.asarray(Y2, device=device))
        train_score = est.score(
            xp.asarray(X, device=device), xp.asarray(Y, device=device)
        )

    assert est.solver_ == ref.solver_
    if data.get("dependent"):
        assert ref.solver_ == "mixed"
    for name, value in vars(ref).items():
        if isinstance(value, np.ndarray):
            assert kind_of(getattr(est, name)) == expected_kind, name
    assert est.x_weights_.dtype == xp.complex128
    assert_same_fit(move_estimator_to(est, np, "cpu"), ref, rtol=1e-12)

    for got, want in [(Xt, ref.transform(X2)), (Yt, ref.transform(X2, Y2)[1])]:
        assert kind_of(got) == expected_kind
        assert got.dtype == xp.float64
        np.testing.assert_allclose(to_host(got), want, rtol=0, atol=1e-11)
    assert isinstance(score, float)
    assert abs(score - ref.score(X2, Y2)) < 1e-12
    assert abs(train_score - ref.similarity_) < 1e-12


@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fourier_dense_layers_and_one_dimensional_y(namespace, device, assert_same_fit):
    # 2-D input is a 1x1 map; a 1-D y is one channel.
    xp, device = xp_for(namespace, device)
    X, Y = _data(rank_deficient=True)
    for y in (Y, Y[:, 0]):
        ref = FourierCCA().fit(X, y)
        with sklearn.config_context(array_api_dispatch=True):
            est = FourierCCA().fit(
                xp.asarray(X, device=device), xp.asarray(y, device=device)
            )
            Xt = est.transform(xp.asarray(X, device=device))
        assert_same_fit(move_estimator_to(est, np, "cpu"), ref, rtol=1e-12)
        np.testing.assert_allclose(to_host(Xt), ref.transform(X), atol=1e-11)


@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fourier_float32_input(namespace, device):
    xp, device = xp_for(namespace, device, "float32")
    X, Y = (a.astype(np.float32) for a in _maps())
    ref = FourierCCA().fit(X, Y)
    with sklearn.config_context(array_api_dispatch=True):
        est = FourierCCA().fit(
            xp.asarray(X, device=device), xp.asarray(Y, device=device)
        )
        Xt = est.transform(xp.asarray(X, device=device))
    # Centered, transformed and accumulated in float64 where the device has
    # it, as NumPy does; the variates come out in the input's dtype.
    xp_info = array_api.namespace(est.x_weights_)
    assert est.x_weights_.dtype == array_api.complex_dtype(*xp_info)
    assert est.x_mean_.dtype == array_api.float_dtype(*xp_info)
    assert Xt.dtype == xp.float32
    np.testing.assert_allclose(
        to_host(est.frequency_correlations_),
        ref.frequency_correlations_,
        atol=1e-12,
    )
    np.testing.assert_allclose(to_host(Xt), ref.transform(X), atol=1e-4)


@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fourier_no_data_sized_array_reaches_the_host(
    namespace, device, monkeypatch, host_transfers
):
    # Spy on every explicit host transfer, on the NumPy path's spectra (which
    # must not run) and on the stacked QR, and forbid the NumPy path's BLAS
    # products and projections: with the dependent channel, auto takes the
    # exact route, whose spectra and QR must stay in the namespace too.
    xp, device = xp_for(namespace, device)
    n = 311
    X, Y = _maps(n=n, dependent=True)
    moved, host_spectra, qr_in_namespace = host_transfers, [], []
    spectra, qr = fourier._spectra, array_api.qr

    def spy_spectra(maps, *args):
        host_spectra.append(maps.shape[0])
        return spectra(maps, *args)

    def spy_qr(Z, **kwargs):
        qr_in_namespace.append(kind_of(Z))
        return qr(Z, **kwargs)

    def forbidden(*args, **kwargs):
        raise AssertionError("NumPy path used for namespaced data")

    monkeypatch.setattr(array_api, "qr", spy_qr)
    monkeypatch.setattr(fourier, "_spectra", spy_spectra)
    for name in ("_zherk", "_hartley_variates", "_pair_sums"):
        monkeypatch.setattr(fourier, name, forbidden)
    est = _use_every_method(FourierCCA(), X, Y, xp, device, exact_route="mixed")
    assert all(n not in shape for shape in moved), moved
    assert not host_spectra, host_spectra
    assert qr_in_namespace == [kind_of(xp.asarray(X, device=device))] * 2
    # The per-frequency statistics stay on the device too: the largest
    # transfers are per-frequency vectors (ranks, score's correlations).
    assert moved, "nothing was transferred: the spy is not wired"
    assert max(map(np.prod, moved)) <= est._grid.n_solved * 2


@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_fourier_partial_fit_matches_fit(namespace, device, assert_same_fit):
    xp, device = xp_for(namespace, device)
    X, Y = _maps(n=200)
    est = FourierCCA()
    with sklearn.config_context(array_api_dispatch=True):
        for a, b in [(0, 1), (1, 2), (2, 120), (120, 200)]:
            est.partial_fit(
                xp.asarray(X[a:b], device=device), xp.asarray(Y[a:b], device=device)
            )
    assert kind_of(est.x_weights_) == kind_of(xp.asarray(X, device=device))
    assert_same_fit(
        move_estimator_to(est, np, "cpu"),
        FourierCCA(solver="gram").fit(X, Y),
        rtol=1e-10,
    )


def test_fourier_namespace_mismatch_and_errors():
    xp, device = xp_for("array_api_strict", "device1")
    X, Y = _maps(n=60)
    with sklearn.config_context(array_api_dispatch=True):
        Xx, Yx = xp.asarray(X, device=device), xp.asarray(Y, device=device)
        est = FourierCCA().fit(Xx, Yx)
        with pytest.raises(ValueError, match=r"transform\(\) must use the same"):
            est.transform(X)
        with pytest.raises(ValueError, match=r"score\(\) must use the same"):
            est.score(X, Y)
        with pytest.raises(ValueError, match=r"X has maps of shape \(5, 3, 3\)"):
            est.transform(Xx[:, :, :3, :])
        with pytest.raises(ValueError, match="y must be an array of shape"):
            FourierCCA().fit(Xx, Yx[..., 0])
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            FourierCCA().fit(Xx, Yx[:50, ...])


def test_fourier_numpy_input_takes_the_numpy_path_under_dispatch(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("generic path used for NumPy input")

    for name in ("spectral_sums", "stacked_spectra", "hartley_variates", "pair_sums"):
        monkeypatch.setattr(array_api, name, forbidden)
    X, Y = _maps(dependent=True)
    with sklearn.config_context(array_api_dispatch=True):
        est = FourierCCA().fit(X, Y)
        est.score(X, Y)
        est.transform(X, Y)
    assert est.solver_ == "mixed"
    assert isinstance(est.x_weights_, np.ndarray)


def test_fourier_torch_y_follows_numpy_x(assert_same_fit):
    torch = pytest.importorskip("torch")
    X, Y = _maps()
    with sklearn.config_context(array_api_dispatch=True):
        est = FourierCCA().fit(X, torch.asarray(Y))
        mixed = FourierCCA().fit(torch.asarray(X), Y)
        _, Yt = mixed.transform(torch.asarray(X), Y)
    assert isinstance(est.x_weights_, np.ndarray)
    assert isinstance(mixed.x_weights_, torch.Tensor)
    assert isinstance(Yt, torch.Tensor)
    assert_same_fit(est, FourierCCA().fit(X, Y), rtol=1e-12)


MEASURES = [
    CKA(),
    CKA(debiased=True),
    CKA(kernel="rbf", debiased=True),
    Procrustes(),
    Procrustes(alpha=0.3),
]


@pytest.mark.parametrize("rank_deficient", [False, True])
@pytest.mark.parametrize("estimator", MEASURES, ids=repr)
@pytest.mark.parametrize("namespace, device", NAMESPACES)
def test_cka_and_procrustes_match_numpy(estimator, namespace, device, rank_deficient):
    xp, device = xp_for(namespace, device)
    X, Y = _data(rank_deficient=rank_deficient)
    X2, Y2 = _data(seed=1)
    ref = _clone(estimator).fit(X, Y)
    expected_kind = kind_of(xp.asarray(X, device=device))
    with sklearn.config_context(array_api_dispatch=True):
        if getattr(estimator, "kernel", None) == "rbf" and device == "device1":
            # The n × n kernels are formed on the host, which array-api-strict's
            # device1 forbids: RBF CKA is in-memory NumPy work by design.
            with pytest.raises(RuntimeError, match="Can't convert"):
                _clone(estimator).fit(
                    xp.asarray(X, device=device), xp.asarray(Y, device=device)
                )
            return
        est = _clone(estimator).fit(
            xp.asarray(X, device=device), xp.asarray(Y, device=device)
        )
        score = est.score(xp.asarray(X2, device=device), xp.asarray(Y2, device=device))
        X2_xp = xp.asarray(X2, device=device)
        Xt = est.transform(X2_xp) if hasattr(est, "transform") else None
    assert abs(est.similarity_ - ref.similarity_) < 1e-12
    assert isinstance(score, float)
    assert abs(score - ref.score(X2, Y2)) < 1e-12
    if Xt is not None:
        assert kind_of(Xt) == expected_kind
        np.testing.assert_allclose(to_host(Xt), ref.transform(X2), atol=1e-11)
