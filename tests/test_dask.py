"""Dask arrays: moments by a tree reduction, the same fit as NumPy.

A fit depends on the data only through their moments, and moments of
disjoint chunks merge exactly, so a fit on a Dask array must equal the NumPy
fit to rounding (1e-10 relative) whatever the chunking; ``transform`` must
stay lazy, and ``score`` (a function of the moments of the given data) must
equal NumPy's. FourierCCA's per-frequency moments merge the same way, so the
same holds for conv maps (against the NumPy fit on the Gram route, which is
the only one a fit from moments can take).
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from test_fourier import WRONG_NDIM_CASES, wrong_ndim_message

from sklearn_svcca import CCA, PWCCA, FourierCCA
from sklearn_svcca.exceptions import ConditioningWarning, SampleSizeWarning

import synthetic
from estimators import CASES, Case, ids

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

# Every measure (estimators.CASES) and a shrunk CCA.
DASK_CASES = [*CASES, Case(CCA(n_components=2, reg=0.2))]
CHUNKS = [(1000, 1000), (97, 53), (1, 1), (250, 7)]


def _clone(est):
    return type(est)(**est.get_params())


def _data(case, seed, n, **kwargs):
    # Conv maps for FourierCCA (3 + 2 channels), 6 + 5 features otherwise.
    return case.data(seed, n, *((3, 2) if case.maps else (6, 5)), **kwargs)


def _chunked(A, rows, cols=None):
    """``A`` as a Dask array chunked by ``rows``, and across columns too."""
    cols = A.shape[1:] if cols is None else (cols, *[2] * (A.ndim - 2))
    return da.from_array(A, chunks=(rows, *cols))


@pytest.mark.parametrize("case", DASK_CASES, ids=ids)
@pytest.mark.parametrize("chunks", CHUNKS, ids=str)
def test_fit_equals_numpy(case, chunks, assert_same_fit):
    n = 1000 if chunks != (1, 1) else 60
    X, Y = _data(case, 0, n, offset=2.0)
    ref = case.make().fit(X, Y)
    Xd = _chunked(X, chunks[0], 4)  # also chunked across columns
    Yd = _chunked(Y, chunks[1])
    with warnings.catch_warnings():
        # Few samples for FourierCCA's maps at (1, 1): both fits warn alike.
        warnings.simplefilter("ignore", SampleSizeWarning)
        est = case.make().fit(Xd, Yd)
    assert_same_fit(est, ref, rtol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes_and_mixed_inputs(case, dtype, assert_same_fit):
    X, Y = _data(case, 1, 500, dtype=dtype)
    ref = case.make().fit(X, Y)
    Xd = _chunked(X, 120)
    assert_same_fit(case.make().fit(Xd, Y), ref, rtol=1e-10)
    assert_same_fit(case.make().fit(X, _chunked(Y, 77)), ref, rtol=1e-10)
    # Integer activations are cast to float64, as for NumPy input.
    Xi = np.round(X * 10).astype(np.int64)
    assert_same_fit(
        case.make().fit(_chunked(Xi, 100), Y), case.make().fit(Xi, Y), 1e-10
    )


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_empty_chunks_are_ignored(case, assert_same_fit):
    X, Y = _data(case, 2, 300)
    Xd = _chunked(X, (0, 100, 0, 200))
    Yd = _chunked(Y, (0, 100, 0, 200))
    assert_same_fit(case.make().fit(Xd, Yd), case.make().fit(X, Y), rtol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_partial_fit_with_dask_batches(case, assert_same_fit):
    X, Y = _data(case, 3, 600)
    est = case.make()
    for a, b in [(0, 1), (1, 250), (250, 600)]:
        est.partial_fit(_chunked(X[a:b], 64), da.from_array(Y[a:b]))
    assert_same_fit(est, case.make().fit(X, Y), rtol=1e-10)


@pytest.mark.parametrize("case", DASK_CASES, ids=ids)
def test_transform_is_lazy_and_score_matches(case):
    X, Y = _data(case, 4, 800)
    Xd, Yd = _chunked(X, 150), _chunked(Y, 300)
    ref = case.make().fit(X, Y)
    est = case.make().fit(Xd, Yd)

    if case.transform:
        Xt = est.transform(Xd)
        assert isinstance(Xt, da.Array)
        assert Xt.chunks[0] == Xd.chunks[0]
        np.testing.assert_allclose(Xt.compute(), ref.transform(X), rtol=0, atol=1e-10)
        Xt, Yt = est.transform(Xd, Yd)
        assert isinstance(Yt, da.Array)
        np.testing.assert_allclose(Yt.compute(), ref.transform(X, Y)[1], atol=1e-10)
        assert est.transform(Xd.astype(np.float32)).dtype == np.float32

    # Held-out data: the moments-based score equals the data-based one.
    X2, Y2 = _data(case, 5, 300)
    for a, b in [(Xd, Yd), (_chunked(X2, 37), da.from_array(Y2))]:
        expected = ref.score(np.asarray(a), np.asarray(b))
        assert abs(est.score(a, b) - expected) < 1e-12
    assert abs(est.score(Xd, Yd) - est.similarity_) < 1e-12


@pytest.mark.parametrize("case", DASK_CASES, ids=ids)
def test_transform_does_not_compute_any_measure(case):
    # A graph whose chunks raise when computed: building the transform must
    # not touch them.
    if not case.transform:
        assert not hasattr(case.make(), "transform")
        return

    def boom(block):
        raise AssertionError("computed")

    X, Y = _data(case, 6, 60)
    est = case.make().fit(X, Y)
    lazy = _chunked(X, 10).map_blocks(boom, dtype=X.dtype)
    assert isinstance(est.transform(lazy), da.Array)


@pytest.mark.parametrize("case", [c for c in DASK_CASES if c.transform], ids=ids)
def test_set_output_pandas_computes_dask_variates(case, views):
    # A pandas container was asked for: the lazy variates are computed into
    # it, with the same values and column names as for NumPy input.
    pd = pytest.importorskip("pandas")
    X, Y = views(7, 300, 6, 5)
    estimator = case.estimator
    ref = _clone(estimator).set_output(transform="pandas").fit(X, Y)
    est = _clone(estimator).set_output(transform="pandas")
    Xd, Yd = da.from_array(X, chunks=(70, 6)), da.from_array(Y, chunks=(110, 5))
    est.fit(Xd, Yd)
    for got, want in [
        (est.transform(Xd), ref.transform(X)),
        *zip(est.transform(Xd, Yd), ref.transform(X, Y), strict=True),
    ]:
        assert isinstance(got, pd.DataFrame)
        assert list(got.columns) == list(want.columns)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-10)


def test_pwcca_weights_from_y_score(views):
    X, Y = views(6, 400, 4, 6)
    ref = PWCCA(weights_from="y").fit(X, Y)
    est = PWCCA(weights_from="y").fit(da.from_array(X, chunks=50), Y)
    assert abs(est.score(da.from_array(X, chunks=60), Y) - ref.score(X, Y)) < 1e-12


def test_transform_does_not_compute():
    # A graph whose chunks raise when computed: building the transform must
    # not touch them.
    def boom(block):
        raise AssertionError("computed")

    X = np.random.RandomState(0).normal(size=(50, 3))
    est = CCA().fit(X, X[:, :2] + 0.1)
    lazy = da.from_array(X, chunks=10).map_blocks(boom, dtype=X.dtype)
    assert isinstance(est.transform(lazy), da.Array)


def test_ill_conditioned_dask_input_takes_gram_route_and_warns():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    X[:, 4] = X[:, 3] + 3e-5 * rng.normal(size=400)
    Y = X[:, :2] + rng.normal(size=(400, 2))
    assert CCA().fit(X, Y).solver_ == "qr"
    with pytest.warns(ConditioningWarning):
        est = CCA().fit(da.from_array(X, chunks=100), Y)
    assert est.solver_ == "gram"


def _wrong_width(view, m, name):
    # The in-memory message, for every measure (FourierCCA's 2-D views too).
    return f"{view} has {m} features, but {name}"


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_errors(case, views):
    X, Y = views(7, 100, 4, 3)
    Xd, Yd = da.from_array(X, chunks=30), da.from_array(Y, chunks=30)
    name = type(case.estimator).__name__
    if case.family == "cca":
        with pytest.raises(ValueError, match=r"solver=.qr.*Dask"):
            case.make().set_params(solver="qr").fit(Xd, Yd)
    with pytest.raises(ValueError, match="requires y to be passed"):
        case.make().fit(Xd, None)
    with pytest.raises(
        ValueError, match=r"inconsistent numbers of samples: \[100, 99\]"
    ):
        case.make().fit(Xd, Yd[:99])
    if not case.maps:  # FourierCCA: see test_fourier_wrong_number_of_dimensions
        with pytest.raises(ValueError, match="Expected a 2D Dask array for X, got 1D"):
            case.make().fit(Xd[:, 0], Yd)
    with pytest.raises(ValueError, match="Complex data not supported"):
        case.make().fit(Xd.astype(np.complex128), Yd)
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        case.make().fit(Xd[:1], Yd[:1])
    with pytest.raises(ValueError, match="0 feature"):
        case.make().fit(Xd[:, :0], Yd)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        case.make().fit(Xd[Xd[:, 0] > 0], Yd[Xd[:, 0] > 0])
    with pytest.raises(ValueError, match="X is constant"):
        case.make().fit(da.ones_like(Xd), Yd)
    bad = X.copy()
    bad[57, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        case.make().fit(da.from_array(bad, chunks=30), Yd)
    bad = Y.copy()
    bad[3, 0] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        case.make().fit(Xd, da.from_array(bad, chunks=30))

    est = case.make().fit(Xd, Yd)
    if case.transform:
        with pytest.raises(ValueError, match=_wrong_width("X", 3, name)):
            est.transform(Xd[:, :3])
        with pytest.raises(ValueError, match="Input X contains NaN"):
            est.transform(da.from_array(np.full((5, 4), np.nan))).compute()
    with pytest.raises(ValueError, match=_wrong_width("y", 2, name)):
        est.score(Xd, Yd[:, :2])
    with pytest.raises(ValueError, match="requires y"):
        est.score(Xd, None)
    few = case.min_score_samples - 1
    if few:
        # The in-memory message ("needs at least 2 samples").
        fewest = f"at least {case.min_score_samples}"
        with pytest.raises(ValueError, match=fewest):
            est.score(Xd[:few], Yd[:few])


def test_importing_the_package_imports_no_optional_dependency():
    code = (
        "import sys, sklearn_svcca\n"
        "from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA\n"
        "heavy = [m for m in ('dask', 'distributed', 'torch', 'cupy',"
        " 'array_api_strict') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=_ROOT)


_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


# ----------------------------------------------------------- distributed


@pytest.fixture(scope="module")
def threaded_client():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            host="127.0.0.1",
            protocol="tcp",  # real sockets on the loopback interface
            dashboard_address="127.0.0.1:0",  # any free port, loopback only
        )
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("case", DASK_CASES, ids=ids)
def test_distributed_fit_equals_numpy(case, threaded_client, assert_same_fit):
    X, Y = _data(case, 8, 2000, offset=1.0)
    Xd, Yd = _chunked(X, 173), _chunked(Y, 400)
    ref = case.make().fit(X, Y)
    est = case.make().fit(Xd, Yd)
    assert_same_fit(est, ref, rtol=1e-10)
    if case.transform:
        Xt = est.transform(Xd)
        assert isinstance(Xt, da.Array)
        np.testing.assert_allclose(
            threaded_client.compute(Xt).result(), ref.transform(X), atol=1e-10
        )
    assert abs(est.score(Xd, Yd) - ref.score(X, Y)) < 1e-12


def test_distributed_errors_reach_the_client(threaded_client, views):
    X, Y = views(9, 200, 4, 3)
    X[150, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        CCA().fit(da.from_array(X, chunks=50), da.from_array(Y, chunks=50))


def test_distributed_worker_processes(views, assert_same_fit):
    # Workers in other processes must import the package and run the
    # per-chunk summaries there; only the merged moments come back.
    distributed = pytest.importorskip("distributed")
    X, Y = views(10, 3000, 6, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # any free port, loopback only
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            est = PWCCA().fit(
                da.from_array(X, chunks=500), da.from_array(Y, chunks=500)
            )
            # FourierCCA's summaries carry its frequency grid to the workers.
            Xm, Ym = _maps(11, 400, (4, 5, 3), (3, 4, 2))
            fourier = FourierCCA().fit(
                da.from_array(Xm, chunks=90), da.from_array(Ym, chunks=90)
            )
            pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2
    assert_same_fit(est, PWCCA().fit(X, Y), rtol=1e-10)
    assert_same_fit(fourier, FourierCCA(solver="gram").fit(Xm, Ym), rtol=1e-10)


# ------------------------------------------------------------- FourierCCA


def _maps(seed, n, x_shape, y_shape, *, offset=1.5):
    """Two layers of conv maps (n, h, w, c) sharing a signal, with means."""
    return synthetic.maps(seed, n, x_shape, y_shape, offset=offset)


FOURIER_SHAPES = [
    ((4, 4, 3), (4, 4, 2)),
    ((5, 6, 3), (4, 3, 2)),  # different, non-square maps
    ((1, 1, 5), (1, 1, 3)),  # given as 2-D: dense layers
]
FOURIER_CHUNKS = [(400, 400), (37, 101), (1, 1)]


@pytest.mark.parametrize("shapes", FOURIER_SHAPES, ids=str)
@pytest.mark.parametrize("chunks", FOURIER_CHUNKS, ids=str)
def test_fourier_fit_equals_numpy(shapes, chunks, assert_same_fit):
    n = 400 if chunks != (1, 1) else 20
    X, Y = _maps(20, n, *shapes)
    if shapes[0][:2] == (1, 1):
        X, Y = X.reshape(n, -1), Y.reshape(n, -1)
    # Chunked across the maps and channels too: rechunked to whole samples.
    Xd = da.from_array(X, chunks=(chunks[0], *[2] * (X.ndim - 1)))
    Yd = da.from_array(Y, chunks=(chunks[1], *[-1] * (Y.ndim - 1)))
    with warnings.catch_warnings():
        # 20 samples for up to 90 values per sample, for both fits.
        warnings.simplefilter("ignore", SampleSizeWarning)
        ref = FourierCCA(solver="gram").fit(X, Y)
        est = FourierCCA().fit(Xd, Yd)
    assert_same_fit(est, ref, rtol=1e-10)
    assert est.solver_ == "gram"


def test_fourier_mixed_inputs_dtypes_and_empty_chunks(assert_same_fit):
    X, Y = _maps(21, 300, (4, 6, 3), (4, 6, 2))
    ref = FourierCCA(solver="gram").fit(X, Y)
    assert_same_fit(FourierCCA().fit(da.from_array(X, chunks=70), Y), ref, 1e-10)
    assert_same_fit(FourierCCA().fit(X, da.from_array(Y, chunks=70)), ref, 1e-10)
    chunks = (0, 120, 0, 180)
    Xd = da.from_array(X, chunks=(chunks, 4, 6, 3))
    Yd = da.from_array(Y, chunks=(chunks, 4, 6, 2))
    assert_same_fit(FourierCCA().fit(Xd, Yd), ref, rtol=1e-10)
    # float32 maps are accumulated in float64, as in memory.
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    assert_same_fit(
        FourierCCA().fit(da.from_array(X32, chunks=64), da.from_array(Y32)),
        FourierCCA(solver="gram").fit(X32, Y32),
        rtol=1e-10,
    )
    # A 1-D y is one channel of a 1x1 map.
    assert_same_fit(
        FourierCCA().fit(da.from_array(X, chunks=64), da.from_array(Y[:, 0, 0, 0])),
        FourierCCA(solver="gram").fit(X, Y[:, 0, 0, 0]),
        rtol=1e-10,
    )


def test_fourier_partial_fit_with_dask_batches(assert_same_fit):
    X, Y = _maps(22, 300, (4, 5, 3), (3, 5, 2))
    est = FourierCCA()
    for a, b in [(0, 1), (1, 120), (120, 300)]:
        est.partial_fit(da.from_array(X[a:b], chunks=50), da.from_array(Y[a:b]))
    assert_same_fit(est, FourierCCA(solver="gram").fit(X, Y), rtol=1e-10)


def test_fourier_transform_is_lazy_and_score_matches():
    X, Y = _maps(23, 300, (5, 6, 3), (4, 4, 2))
    Xd, Yd = da.from_array(X, chunks=70), da.from_array(Y, chunks=110)
    ref = FourierCCA(solver="gram").fit(X, Y)
    est = FourierCCA().fit(Xd, Yd)

    Xt = est.transform(Xd)
    assert isinstance(Xt, da.Array)
    assert Xt.chunks == (Xd.chunks[0], (4 * 4 * 2,))
    np.testing.assert_allclose(Xt.compute(), ref.transform(X), rtol=0, atol=1e-10)
    Xt, Yt = est.transform(Xd, Yd)
    assert isinstance(Yt, da.Array) and Yt.chunks[0] == Xd.chunks[0]
    np.testing.assert_allclose(Yt.compute(), ref.transform(X, Y)[1], atol=1e-10)
    assert est.transform(Xd.astype(np.float32)).dtype == np.float32

    # score from the moments of the given maps equals score on them in memory.
    X2, Y2 = _maps(24, 120, (5, 6, 3), (4, 4, 2), offset=-3.0)
    for a, b in [(Xd, Yd), (da.from_array(X2, chunks=37), Y2)]:
        expected = ref.score(np.asarray(a), np.asarray(b))
        assert abs(est.score(a, b) - expected) < 1e-12
    assert abs(est.score(Xd, Yd) - est.similarity_) < 1e-12


def test_fourier_transform_does_not_compute():
    def boom(block):
        raise AssertionError("computed")

    X, Y = _maps(25, 60, (4, 4, 2), (4, 4, 2))
    est = FourierCCA().fit(X, Y)
    lazy = da.from_array(X, chunks=10).map_blocks(boom, dtype=X.dtype)
    assert isinstance(est.transform(lazy), da.Array)


@pytest.mark.parametrize("x_shape, y_shape, name", WRONG_NDIM_CASES)
def test_fourier_wrong_number_of_dimensions(x_shape, y_shape, name):
    # The errors of the in-memory path, on the same shapes.
    Xd = da.from_array(np.ones(x_shape), chunks=5)
    Yd = da.from_array(np.ones(y_shape), chunks=5)
    with pytest.raises(ValueError, match=wrong_ndim_message(name)):
        FourierCCA().fit(Xd, Yd)


def test_fourier_errors():
    X, Y = _maps(26, 30, (4, 4, 2), (4, 4, 2))
    Xd, Yd = da.from_array(X, chunks=10), da.from_array(Y, chunks=10)
    bad = X.copy()
    bad[23, 1, 1, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        FourierCCA().fit(da.from_array(bad, chunks=10), Yd)
    bad = Y.copy()
    bad[0, 0, 0, 1] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        FourierCCA().fit(Xd, da.from_array(bad, chunks=10))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        FourierCCA().fit(Xd, Yd[:20])
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        FourierCCA().fit(Xd[:1], Yd[:1])
    with pytest.raises(ValueError, match="Complex data not supported"):
        FourierCCA().fit(Xd + 1j, Yd)
    with pytest.raises(ValueError, match="requires y to be passed"):
        FourierCCA().fit(Xd, None)
    with pytest.raises(ValueError, match=r"solver=.qr.*Dask"):
        FourierCCA(solver="qr").fit(Xd, Yd)
    with pytest.raises(ValueError, match="X is constant"):
        FourierCCA().fit(da.ones_like(Xd), Yd)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="overflowed float64"):
            FourierCCA().fit(1e200 * Xd, Yd)

    est = FourierCCA().fit(Xd, Yd)
    with pytest.raises(ValueError, match=r"X has maps of shape \(4, 3, 2\)"):
        est.transform(Xd[:, :, :3])
    with pytest.raises(ValueError, match=r"y has maps of shape \(4, 4, 1\)"):
        est.score(Xd, Yd[..., :1])
    with pytest.raises(ValueError, match=r"maps of shape \(4, 4, 2\)"):
        est.partial_fit(Xd[:, :3], Yd[:, :3])
    with pytest.raises(ValueError, match="at least 2 samples"):
        est.score(Xd[:1], Yd[:1])
    with pytest.raises(ValueError, match="requires y"):
        est.score(Xd, None)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.transform(da.from_array(np.full((5, 4, 4, 2), np.nan))).compute()


def test_fourier_distributed_fit_equals_numpy(threaded_client, assert_same_fit):
    X, Y = _maps(27, 600, (6, 5, 3), (4, 4, 2))
    Xd, Yd = da.from_array(X, chunks=53), da.from_array(Y, chunks=200)
    ref = FourierCCA(solver="gram").fit(X, Y)
    est = FourierCCA().fit(Xd, Yd)
    assert_same_fit(est, ref, rtol=1e-10)
    Xt = est.transform(Xd)
    np.testing.assert_allclose(
        threaded_client.compute(Xt).result(), ref.transform(X), atol=1e-10
    )
    assert abs(est.score(Xd, Yd) - ref.score(X, Y)) < 1e-12
    X[150, 2, 1, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        FourierCCA().fit(da.from_array(X, chunks=53), Yd)


def test_dask_code_leaves_the_estimator_state_to_the_estimator(views):
    # _dask validates and reduces arrays; every attribute a Dask fit sets is
    # set by the estimator's own methods (issue 12: explicit data flow).
    import inspect

    from sklearn_svcca import _dask

    source = inspect.getsource(_dask)
    assert "estimator." not in source and "setattr" not in source
    X, Y = views(12, 60, 4, 3)
    est = CCA().fit(da.from_array(X, chunks=20), da.from_array(Y, chunks=20))
    assert est._n_features_y == 3 and est.n_features_in_ == 4
