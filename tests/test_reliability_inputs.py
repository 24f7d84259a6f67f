"""Issue 11, inputs: every bad input gets a clear error, every layout a word.

Test names carry the issue's item number. The CLI's items (8, 10's flag,
15) are in tests/test_cli.py, next to the other command-line tests.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse
import sklearn

from sklearn_svcca import (
    CCA,
    PWCCA,
    SVCCA,
    FourierCCA,
    compat,
    conv,
    similarity_matrix,
)
from sklearn_svcca.exceptions import DataFormatWarning, SampleSizeWarning
from sklearn_svcca.stats import (
    bartlett_lawley_test,
    similarity_baseline,
    summarize_correlations,
)

ESTIMATORS = [CCA(), SVCCA(), PWCCA(), FourierCCA()]
_ids = lambda e: type(e).__name__  # noqa: E731


def _clone(est):
    return type(est)(**est.get_params())


@pytest.fixture
def views(rng):
    X = rng.normal(size=(60, 4))
    return X, X[:, :2] @ rng.normal(size=(2, 3)) + rng.normal(size=(60, 3))


@pytest.fixture
def maps(rng):
    X = rng.normal(size=(40, 4, 6, 6))  # PyTorch's (N, C, H, W)
    Y = np.einsum("nchw,cd->ndhw", X, rng.normal(size=(4, 3)))
    return X, Y + 0.5 * rng.normal(size=Y.shape)


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        return call()


# ------------------------------------------------------------ 6: sparse y


def _sparse_message(name):
    # The message scikit-learn gives a sparse X, which y must get too.
    with pytest.raises(TypeError) as info:
        sklearn.utils.check_array(
            scipy.sparse.csr_matrix(np.ones((3, 2))), input_name=name
        )
    return str(info.value)


@pytest.mark.parametrize("est", ESTIMATORS, ids=_ids)
def test_item6_sparse_y_gets_the_message_of_a_sparse_x(est, views):
    X, Y = views
    sparse_y = scipy.sparse.csr_matrix(Y)
    expected = _sparse_message("y")
    assert expected.startswith("Sparse data was passed for y")
    for call in (
        lambda: _clone(est).fit(X, sparse_y),
        lambda: _clone(est).partial_fit(X, sparse_y),
    ):
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == expected
    fitted = _quiet(lambda: _clone(est).fit(X, Y))
    for call in (
        lambda: fitted.score(X, sparse_y),
        lambda: fitted.transform(X, sparse_y),
    ):
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == expected
    with pytest.raises(TypeError) as info:
        _clone(est).fit(scipy.sparse.csr_matrix(X), Y)
    assert str(info.value) == _sparse_message("X")


def test_item6_sparse_layer_in_similarity_matrix_and_baseline(views):
    X, Y = views
    with pytest.raises(TypeError, match=r"Sparse data was passed for layers_a\['1'\]"):
        similarity_matrix([X, scipy.sparse.csr_matrix(Y)], estimator=CCA())
    with pytest.raises(TypeError, match=r"Sparse data was passed for layers_b\['0'\]"):
        similarity_matrix([X], [scipy.sparse.csr_matrix(Y)], estimator=FourierCCA())
    # validate_params already says it clearly.
    with pytest.raises(ValueError, match="'y' parameter of similarity_baseline must"):
        similarity_baseline(CCA(), X, scipy.sparse.csr_matrix(Y), n_resamples=2)


# ----------------------------------------------------- 7: empty map axes


@pytest.mark.parametrize(
    "shape, axis",
    [((50, 8, 0, 3), "width"), ((50, 0, 8, 3), "height"), ((50, 8, 8, 0), "channels")],
)
def test_item7_zero_length_map_axis_is_named(rng, shape, axis):
    good = rng.normal(size=(50, 4, 4, 2))
    empty = np.zeros(shape)
    for X, Y, name in ((empty, good, "X"), (good, empty, "y")):
        with pytest.raises(ValueError, match=rf"^{name} has shape .* its {axis} axis"):
            FourierCCA().fit(X, Y)
        with pytest.raises(ValueError, match=rf"^{name} has shape .* its {axis} axis"):
            FourierCCA().partial_fit(X, Y)
    fitted = FourierCCA().fit(good, good[..., :1] + rng.normal(size=(50, 4, 4, 1)))
    with pytest.raises(ValueError, match=rf"X has shape .* its {axis} axis"):
        fitted.transform(empty)
    with pytest.raises(ValueError, match=f"its {axis} axis"):
        conv.spatial_mean_pool(empty)
    with pytest.raises(ValueError, match=f"^X has shape .* its {axis} axis"):
        conv.positions_as_samples(empty, empty)
    with pytest.raises(ValueError, match=f"^y has shape .* its {axis} axis"):
        conv.positions_as_samples(good[:, :, :, :], empty)
    with pytest.raises(ValueError, match=f"its {axis} axis"):
        conv.resize_maps(empty, (4, 4))


def test_item7_zero_length_axis_named_in_the_callers_layout(rng):
    good = rng.normal(size=(50, 2, 4, 4))
    # (N, C, H, W) with no channels: axis 1.
    with pytest.raises(
        ValueError, match=r"channels axis \(axis 1 of \(n_samples, channels"
    ):
        FourierCCA(data_format="channels_first").fit(np.zeros((50, 0, 4, 4)), good)
    with pytest.raises(
        ValueError, match=r"width axis \(axis 3 of \(n_samples, channels"
    ):
        conv.spatial_mean_pool(np.zeros((5, 2, 4, 0)), data_format="channels_first")


def test_item7_dask_maps_with_an_empty_axis(rng):
    da = pytest.importorskip("dask.array")
    X = da.from_array(np.zeros((50, 8, 0, 3)), chunks=(25, -1, -1, -1))
    with pytest.raises(ValueError, match=r"^X has shape .* its width axis"):
        FourierCCA().fit(X, rng.normal(size=(50, 4, 4, 2)))


# -------------------------------------------- 9: booleans, None as a view


@pytest.mark.parametrize(
    "est, param",
    [
        (SVCCA(svd_dims=True), "svd_dims"),
        (SVCCA(svd_dims=False), "svd_dims"),
        (SVCCA(svd_dims=np.True_), "svd_dims"),
        (CCA(n_components=True), "n_components"),
        (SVCCA(n_components=True), "n_components"),
        (PWCCA(n_components=True), "n_components"),
        (FourierCCA(n_components=True), "n_components"),
        (CCA(reg=True), "reg"),
    ],
    ids=repr,
)
def test_item9_booleans_are_not_numbers(est, param, views):
    with pytest.raises(
        ValueError, match=f"'{param}' parameter .* Got (np.)?(True|False)"
    ):
        est.fit(*views)


def test_item9_boolean_in_an_svd_dims_pair(views):
    with pytest.raises(
        ValueError, match=r"svd_dims given as a pair .* got \(True, 2\)"
    ):
        SVCCA(svd_dims=(True, 2)).fit(*views)


def test_item9_booleans_rejected_by_the_public_functions(views):
    X, Y = views
    with pytest.raises(ValueError, match="'n_resamples' parameter"):
        similarity_baseline(CCA(), X, Y, n_resamples=True)
    fitted = CCA().fit(X, Y)
    with pytest.raises(ValueError, match="'top_k' parameter"):
        summarize_correlations(fitted, top_k=True)
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        bartlett_lawley_test(
            canonical_correlations=[0.5], n_samples=True, n_features_x=1, n_features_y=1
        )
    with pytest.raises(ValueError, match="order must be an int"):
        conv.resize_maps(np.ones((2, 3, 3, 1)), (4, 4), order=True)


@pytest.mark.parametrize("est", ESTIMATORS, ids=_ids)
def test_item9_none_views_are_named(est, views):
    X, Y = views
    with pytest.raises(ValueError, match=r"^X is None: pass the first view"):
        _clone(est).fit(None, Y)
    with pytest.raises(ValueError, match=r"^X is None"):
        _clone(est).partial_fit(None, Y)
    with pytest.raises(ValueError, match="requires y to be passed"):
        _clone(est).fit(X, None)
    fitted = _quiet(lambda: _clone(est).fit(X, Y))
    with pytest.raises(ValueError, match=r"^X is None"):
        fitted.transform(None)
    with pytest.raises(ValueError, match=r"^X is None"):
        fitted.score(None, Y)
    with pytest.raises(ValueError, match="requires y"):
        fitted.score(X, None)


def test_item9_none_layers_are_named(views):
    X, _ = views
    with pytest.raises(ValueError, match=r"^layers_a\['b'\] is None"):
        similarity_matrix({"a": X, "b": None})
    with pytest.raises(ValueError, match=r"^acts2 is None: pass an array of shape"):
        compat.get_cca_similarity(X.T, None)


# ---------------------------------------------------- 10: PyTorch layout


def test_item10_channels_first_equals_channels_last_on_transposed_maps(maps):
    X, Y = maps
    Xl, Yl = X.transpose(0, 2, 3, 1), Y.transpose(0, 2, 3, 1)
    first = FourierCCA(data_format="channels_first").fit(X, Y)
    last = FourierCCA().fit(Xl, Yl)
    for name in ("canonical_correlations_", "x_weights_", "y_weights_", "x_mean_"):
        np.testing.assert_array_equal(getattr(first, name), getattr(last, name))
    assert first.similarity_ == last.similarity_
    assert first.x_map_shape_ == last.x_map_shape_ == (6, 6, 4)
    assert first.score(X, Y) == last.score(Xl, Yl)
    np.testing.assert_array_equal(first.transform(X), last.transform(Xl))
    # Streaming reads the same layout.
    stream = FourierCCA(data_format="channels_first")
    stream.partial_fit(X[:20], Y[:20]).partial_fit(X[20:], Y[20:])
    np.testing.assert_allclose(
        stream.canonical_correlations_, last.canonical_correlations_, atol=1e-10
    )


def test_item10_channels_first_dask(maps):
    da = pytest.importorskip("dask.array")
    X, Y = maps
    ref = FourierCCA(data_format="channels_first").fit(X, Y)
    lazy = FourierCCA(data_format="channels_first").fit(
        da.from_array(X, chunks=(20, -1, -1, -1)),
        da.from_array(Y, chunks=(20, -1, -1, -1)),
    )
    np.testing.assert_allclose(
        lazy.canonical_correlations_, ref.canonical_correlations_, atol=1e-10
    )


def test_item10_wrong_layout_changes_the_answer_and_warns(maps):
    # The defect: PyTorch maps read channels last give another, plausible,
    # number. Now a warning names the parameter, at the caller's line.
    X, Y = maps
    right = FourierCCA(data_format="channels_first").fit(X, Y).similarity_
    with pytest.warns(
        DataFormatWarning, match="data_format='channels_first'"
    ) as record:
        wrong = FourierCCA().fit(X, Y).similarity_
    assert abs(right - wrong) > 1e-3
    assert {str(w.message).split(" ")[0] for w in record} == {"X", "y"}
    assert all(w.filename == __file__ for w in record)
    assert "(40, 4, 6, 6)" in str(record[0].message)


def test_item10_no_warning_when_the_layout_is_unambiguous(rng):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataFormatWarning)
        FourierCCA(data_format="channels_first").fit(
            rng.normal(size=(30, 4, 6, 6)), rng.normal(size=(30, 3, 6, 6))
        )
        # channels last, square maps: the common TensorFlow case.
        FourierCCA().fit(rng.normal(size=(30, 6, 6, 4)), rng.normal(size=(30, 6, 6, 3)))
        conv.spatial_mean_pool(rng.normal(size=(5, 8, 8, 8)))


def test_item10_conv_recipes_read_channels_first(maps):
    X, Y = maps
    Xl, Yl = X.transpose(0, 2, 3, 1), Y.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(
        conv.spatial_mean_pool(X, data_format="channels_first"),
        conv.spatial_mean_pool(Xl),
    )
    assert conv.spatial_mean_pool(X, data_format="channels_first").shape == (40, 4)
    for got, want in zip(
        conv.positions_as_samples(X, Y, data_format="channels_first"),
        conv.positions_as_samples(Xl, Yl),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    resized = conv.resize_maps(X, (9, 7), data_format="channels_first")
    assert resized.shape == (40, 4, 9, 7)
    np.testing.assert_array_equal(
        resized.transpose(0, 2, 3, 1), conv.resize_maps(Xl, (9, 7))
    )
    with pytest.warns(
        DataFormatWarning, match="data_format='channels_first'"
    ) as record:
        conv.spatial_mean_pool(X)
    assert record[0].filename == __file__
    with pytest.raises(ValueError, match="data_format must be 'channels_last'"):
        conv.spatial_mean_pool(X, data_format="NCHW")
    with pytest.raises(ValueError, match="'data_format' parameter of FourierCCA"):
        FourierCCA(data_format="NCHW").fit(X, Y)


def test_item10_shape_errors_speak_the_callers_layout(maps):
    X, Y = maps
    fitted = FourierCCA(data_format="channels_first").fit(X, Y)
    with pytest.raises(
        ValueError, match=r"shape \(4, 5, 6\) \(channels, height, width\)"
    ):
        fitted.transform(X[:, :, :5])
    with pytest.raises(ValueError, match=r"\(n_samples, channels, height, width\)"):
        FourierCCA(data_format="channels_first").fit(X[:, 0], Y)


# ------------------------------------------ 11: Array API everywhere


def _namespaces():
    out = []
    for name in ("torch", "array_api_strict"):
        try:
            __import__(name)
        except ImportError:
            continue
        out.append(name)
    return out


def _to_namespace(name, a, requires_grad=False):
    if name == "torch":
        import torch

        t = torch.asarray(a)
        return t.requires_grad_(True) if requires_grad else t
    import array_api_strict as xps

    return xps.asarray(a, device=xps.Device("device1"))


def _host(a):
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach"):
        return a.detach().cpu().numpy()
    import array_api_strict as xps

    return np.asarray(xps.asarray(a, device=xps.Device("CPU_DEVICE")))


ARRAY_API = pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
)
CASES = [
    (ns, grad)
    for ns in _namespaces()
    for grad in (False, True)
    if ns == "torch" or not grad
]


@ARRAY_API
@pytest.mark.parametrize("namespace, requires_grad", CASES)
def test_item11_public_functions_accept_array_api_inputs(namespace, requires_grad, rng):
    X = rng.normal(size=(200, 6))
    Y = X[:, :4] @ rng.normal(size=(4, 5)) + rng.normal(size=(200, 5))
    M = rng.normal(size=(40, 5, 5, 3))
    N = M @ rng.normal(size=(3, 2)) + rng.normal(size=(40, 5, 5, 2))

    def f(a):
        return _to_namespace(namespace, a, requires_grad)

    def check(got, want, atol):
        np.testing.assert_allclose(_host(got), want, rtol=0, atol=atol)

    numpy_results = {
        "matrix": similarity_matrix([X, Y], estimator=PWCCA()).similarities,
        "matrix_fourier": similarity_matrix(
            [X, Y], estimator=FourierCCA()
        ).similarities,
        "baseline": similarity_baseline(CCA(), X, Y, n_resamples=4, random_state=0),
        "pool": conv.spatial_mean_pool(M),
        "rows": conv.positions_as_samples(M, N),
        "resized": conv.resize_maps(M, (7, 6)),
        "bartlett": bartlett_lawley_test(CCA().fit(X, Y)).pvalues,
        "summary": summarize_correlations(CCA().fit(X, Y)).mean,
        "compat": compat.get_cca_similarity(X.T, Y.T)["cca_coef1"],
        "pwcca": compat.compute_pwcca(X.T, Y.T)[0],
    }
    with sklearn.config_context(array_api_dispatch=True):
        matrix = similarity_matrix([f(X), f(Y)], estimator=PWCCA()).similarities
        matrix_fourier = similarity_matrix(
            {"a": f(X), "b": f(Y)}, estimator=FourierCCA()
        ).similarities
        baseline = similarity_baseline(CCA(), f(X), f(Y), n_resamples=4, random_state=0)
        pooled = conv.spatial_mean_pool(f(M))
        rows = conv.positions_as_samples(f(M), f(N))
        resized = conv.resize_maps(f(M), (7, 6))
        fitted = CCA().fit(f(X), f(Y))
        pvalues = bartlett_lawley_test(fitted).pvalues
        summary = summarize_correlations(fitted).mean
        coefs = compat.get_cca_similarity(f(X.T), f(Y.T))["cca_coef1"]
        pwcca = compat.compute_pwcca(f(X.T), f(Y.T))[0]
    # Shared views are computed on the host: exactly NumPy's numbers.
    np.testing.assert_array_equal(matrix, numpy_results["matrix"])
    np.testing.assert_array_equal(
        baseline.null_distribution, numpy_results["baseline"].null_distribution
    )
    assert baseline.observed == numpy_results["baseline"].observed
    check(matrix_fourier, numpy_results["matrix_fourier"], 1e-12)
    # The conv recipes return the input's kind of array.
    for got in (pooled, rows[0], rows[1], resized):
        assert type(got) is type(f(M))
    check(pooled, numpy_results["pool"], 1e-14)
    for got, want in zip(rows, numpy_results["rows"], strict=True):
        check(got, want, 0)
    check(resized, numpy_results["resized"], 1e-13)
    check(pvalues, numpy_results["bartlett"], 1e-12)
    assert abs(summary - numpy_results["summary"]) < 1e-12
    check(coefs, numpy_results["compat"], 0)
    check(pwcca, numpy_results["pwcca"], 0)


@ARRAY_API
@pytest.mark.parametrize("est", ESTIMATORS, ids=_ids)
def test_item11_estimators_use_grad_requiring_tensors_detached(est, views):
    torch = pytest.importorskip("torch")
    X, Y = views
    ref = _quiet(lambda: _clone(est).fit(X, Y))
    Xt = torch.asarray(X).requires_grad_(True)
    Yt = torch.asarray(Y).requires_grad_(True)
    for dispatch in (False, True):
        with sklearn.config_context(array_api_dispatch=dispatch):
            fitted = _quiet(lambda: _clone(est).fit(Xt, Yt))
            assert abs(fitted.similarity_ - ref.similarity_) < 1e-12
            assert abs(fitted.score(Xt, Yt) - ref.score(X, Y)) < 1e-12
            np.testing.assert_allclose(
                _host(fitted.transform(Xt)), ref.transform(X), atol=1e-10
            )
            _clone(est).partial_fit(Xt, Yt)
    assert Xt.grad is None and Xt.requires_grad  # the input is left as it was


def test_item11_scipy_array_api_set_too_late_is_explained():
    pytest.importorskip("torch")
    code = (
        "import os, sklearn, torch\n"
        "from sklearn_svcca import CCA\n"
        "os.environ['SCIPY_ARRAY_API'] = '1'\n"  # after scipy was imported
        "sklearn.set_config(array_api_dispatch=True)\n"
        "X = torch.randn(50, 3, dtype=torch.float64)\n"
        "try:\n"
        "    CCA().fit(X, X[:, :2])\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "sklearn-svcca was given a non-NumPy array" in out.stdout
    assert "SCIPY_ARRAY_API=1 before scipy is first imported" in out.stdout
    assert "set after scipy was imported, which is too late" in out.stdout


# ------------------------------------------------------- 14: short reprs


def test_item14_result_reprs_are_short_and_say_what_matters(rng):
    X = rng.normal(size=(300, 40))
    Y = X[:, :3] @ rng.normal(size=(3, 30)) + rng.normal(size=(300, 30))
    baseline = _quiet(
        lambda: similarity_baseline(CCA(), X, Y, n_resamples=200, random_state=0)
    )
    text = repr(baseline)
    assert len(text) < 300, text
    assert text.startswith("BaselineResult(observed=")
    assert f"observed={baseline.observed:.4g}" in text
    assert f"{baseline.null_mean:.4g} ± {baseline.null_std:.2g}" in text
    assert "over 200 resamples" in text
    assert f"pvalue={baseline.pvalue:.4g}" in text
    assert "null_distribution=<array of shape (200,)>" in text
    assert "null_correlations=<array of shape (200, 30)>" in text

    layers = {f"layer{i}": X[:, : 2 + i] for i in range(30)}
    matrix = similarity_matrix(layers, estimator=CCA())
    text = repr(matrix)
    assert len(text) < 300, text
    assert "similarities=<array of shape (30, 30), from" in text
    assert "(30 in all)" in text and "'layer0'" in text and "'layer29'" not in text
    assert "estimator=CCA()" in text and "symmetric=True" in text

    test = bartlett_lawley_test(CCA().fit(X, Y))
    text = repr(test)
    assert len(text) < 300, text
    assert f"n_significant={test.n_significant} of 30 at alpha=0.05" in text
    assert "pvalues=<array of shape (30,)>" in text
    assert "n_samples=300" in text

    summary = summarize_correlations(CCA().fit(X, Y), top_k=5)
    text = repr(summary)
    assert len(text) < 300, text
    assert f"mean={summary.mean:.4g}" in text and "top_k=5" in text
