"""The one score path: mergeable sums per block, one correlation function.

Every canonical estimator scores held-out data by projecting it block by
block onto the fitted weights; each block gives a ``ScoreSums`` and the
merged sums give the correlations (``_linalg.correlations_from_sums``). The
theorems here: any split into blocks gives the score of one block; the sums
give the correlations and PWCCA's weights of the definitions
(``reference``); NumPy, array-api-strict and Dask agree.
"""

import itertools

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA, _linalg
from sklearn_svcca._base import _BaseCCA, _CanonicalBase

import reference


def _split_sums(X, Y, A, B, cuts, cross=None):
    """Sums of the blocks ``X[cuts[i]:cuts[i+1]]``, merged left to right."""
    bounds = [0, *sorted(set(cuts)), X.shape[0]]
    parts = [
        _linalg.dense_score_sums(X[a:b], Y[a:b], A, B, cross=cross)
        for a, b in itertools.pairwise(bounds)
        if b > a
    ]
    sums = parts[0]
    for part in parts[1:]:
        sums = _linalg.merge_score_sums(sums, part)
    return sums


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 40),
    p=st.integers(1, 4),
    q=st.integers(1, 4),
    k=st.integers(1, 3),
    seed=st.integers(0, 2**31 - 1),
    offset=st.sampled_from([0.0, 1e3, 1e8]),
    cuts=st.lists(st.integers(1, 39), max_size=5),
    cross=st.sampled_from([None, "x", "y"]),
)
def test_any_block_split_gives_the_correlations_of_the_definition(
    n, p, q, k, seed, offset, cuts, cross
):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + offset
    Y = X[:, :1] @ rng.standard_normal((1, q)) + rng.standard_normal((n, q))
    A, B = rng.standard_normal((p, k)), rng.standard_normal((q, k))
    sums = _split_sums(X, Y, A, B, [c for c in cuts if c < n], cross=cross)
    assert sums.n_samples == n
    U, V = (X - X.mean(0)) @ A, (Y - Y.mean(0)) @ B
    expected = reference.held_out_correlations(U, V)
    r = _linalg.correlations_from_sums(sums, A, B)
    # The means (here and in the reference) are rounded to eps * offset.
    atol = 1e-9 + 1e-15 * offset
    assert_allclose(r, expected, atol=atol)
    whole = _linalg.dense_score_sums(X, Y, A, B, cross=cross)
    for name in ("suu", "svv"):
        assert_allclose(getattr(sums, name), getattr(whole, name), rtol=atol)
    # A cross sum may be near 0: its error is relative to the norms.
    scale = np.sqrt(whole.suu * whole.svv)
    assert np.all(np.abs(sums.suv - whole.suv) <= atol * scale)
    if cross is not None:
        data, W = (X, U) if cross == "x" else (Y, V)
        inner = _linalg.inner_from_sums(sums, cross)
        assert_allclose(
            _linalg.projection_weights(inner),
            reference.held_out_projection_weights(data, W),
            atol=atol,
        )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 30),
    seed=st.integers(0, 2**31 - 1),
    cut=st.integers(1, 29),
)
def test_complex_stacked_sums_merge_like_one_block(n, seed, cut):
    # FourierCCA's sums: complex variates, a leading axis of frequencies.
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((3, n, 2)) + 1j * rng.standard_normal((3, n, 2))
    V = U * (0.5 - 0.2j) + rng.standard_normal((3, n, 2))
    A, B = np.ones((3, 4, 2)), np.ones((3, 5, 2))

    def sums(u, v):
        zero = np.zeros((3, 2), complex)
        return _linalg.variate_sums(
            u - u.mean(1, keepdims=True),
            v - v.mean(1, keepdims=True),
            u_shift=zero + u.mean(1),
            v_shift=zero + v.mean(1),
            x_norm=1.0,
            y_norm=1.0,
        )

    cut = min(cut, n - 1)
    merged = _linalg.merge_score_sums(
        sums(U[:, :cut], V[:, :cut]), sums(U[:, cut:], V[:, cut:])
    )
    assert_allclose(
        _linalg.correlations_from_sums(merged, A, B),
        reference.held_out_correlations(U, V),
        atol=1e-10,
    )


def test_large_offsets_do_not_cancel_in_the_merge():
    # Centered sums merged with Chan's update: an offset of 1e8 on a spread
    # of 1 costs digits only in the means' difference, not in the sums.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 3)) + 1e8
    Y = X @ rng.standard_normal((3, 2)) + 0.5 * rng.standard_normal((1000, 2))
    A, B = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    sums = _split_sums(X, Y, A, B, list(range(7, 1000, 97)))
    U, V = (X - X.mean(0)) @ A, (Y - Y.mean(0)) @ B
    assert_allclose(
        _linalg.correlations_from_sums(sums, A, B),
        reference.held_out_correlations(U, V),
        atol=1e-8,
    )


def test_a_variate_constant_on_the_blocks_scores_zero():
    rng = np.random.default_rng(1)
    X = np.c_[rng.standard_normal(50), np.full(50, 3.0)]
    Y = rng.standard_normal((50, 2))
    A = np.array([[0.0, 1.0], [1.0, 0.0]])  # the first variate is constant
    sums = _split_sums(X, Y, A, np.eye(2), [10, 30])
    r = _linalg.correlations_from_sums(sums, A, np.eye(2))
    assert r[0] == 0.0 and r[1] != 0.0 and np.isfinite(r).all()


def test_projection_rounding_is_p_eps_norm_x_norm_w_per_pair():
    # One definition, 10 p eps ‖X‖_F ‖w_i‖, for one problem and per problem
    # of a stack (the weights' second-to-last axis is p).
    rng = np.random.default_rng(2)
    W = rng.standard_normal((3, 7, 4))
    norm_x = np.array([[2.0], [3.0], [5.0]])
    eps = np.finfo(np.float64).eps
    expected = 10 * 7 * eps * norm_x * np.linalg.norm(W, axis=1)
    assert_allclose(_linalg.projection_rounding(norm_x, W), expected, rtol=1e-14)
    assert_allclose(_linalg.projection_rounding(3.0, W[1]), expected[1], rtol=1e-14)


def _views(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 6))
    Y = X[:, :3] @ rng.standard_normal((3, 5)) + rng.standard_normal((n, 5))
    return X, Y


def _maps(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4, 4, 3))
    Y = 0.7 * X[..., :2] + rng.standard_normal((n, 4, 4, 2))
    return X, Y


ESTIMATORS = [
    pytest.param(CCA(), _views, id="CCA"),
    pytest.param(SVCCA(svd_dims=4), _views, id="SVCCA"),
    pytest.param(PWCCA(), _views, id="PWCCA"),
    pytest.param(PWCCA(weights_from="y"), _views, id="PWCCA-y"),
    pytest.param(FourierCCA(), _maps, id="FourierCCA"),
]


@pytest.mark.parametrize("estimator, data", ESTIMATORS)
def test_score_equals_the_definition_and_its_moments(estimator, data):
    X, Y = data(seed=0)
    Xh, Yh = data(seed=1)
    est = sklearn.clone(estimator).fit(X, Y)
    score = est.score(Xh, Yh)
    # The same held-out samples summarised by their moments (streamed CV).
    moments = est._batch_moments(Xh, Yh)
    assert est._score_moments(moments) == pytest.approx(score, abs=1e-10)
    if isinstance(est, FourierCCA):
        return
    U, V = est.transform(Xh, Yh)
    r = reference.held_out_correlations(U, V)
    if isinstance(est, PWCCA):
        data_, W = (Xh, U) if est.weights_from == "x" else (Yh, V)
        expected = reference.held_out_projection_weights(data_, W) @ r
    else:
        expected = r.mean()
    assert score == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("estimator, data", ESTIMATORS)
def test_numpy_array_api_strict_and_dask_scores_agree(estimator, data):
    X, Y = data(seed=0)
    Xh, Yh = data(seed=1)
    est = sklearn.clone(estimator).fit(X, Y)
    expected = est.score(Xh, Yh)
    da = pytest.importorskip("dask.array")
    chunks = (37, *Xh.shape[1:])
    dask_score = est.score(
        da.from_array(Xh, chunks=chunks), da.from_array(Yh, chunks=(37, *Yh.shape[1:]))
    )
    assert dask_score == pytest.approx(expected, abs=1e-10)
    xp = pytest.importorskip("array_api_strict")
    with sklearn.config_context(array_api_dispatch=True):
        est_xp = sklearn.clone(estimator).fit(xp.asarray(X), xp.asarray(Y))
        strict = est_xp.score(xp.asarray(Xh), xp.asarray(Yh))
    assert strict == pytest.approx(expected, abs=1e-9)


# The dense solve's own machinery, which FourierCCA's stacked problems
# cannot run: it must not be there to call.
_DENSE_ONLY = (
    "_fit_from_views",
    "_view_bases",
    "_basis_attributes",
    "_unit_variance",
    "_few_sample_diagnostics",
    "_conditioning_diagnostics",
    "_set_similarity",
    "_varying_columns",
)


@pytest.mark.parametrize("name", _DENSE_ONLY)
def test_fourier_cca_inherits_nothing_it_cannot_run(name):
    assert hasattr(CCA, name)
    assert not hasattr(FourierCCA, name)
    assert not hasattr(FourierCCA(), name)
    assert not issubclass(FourierCCA, _BaseCCA)


def test_every_score_hook_is_implemented_by_both_families():
    hooks = (
        "_score_weights",
        "_score_sums_function",
        "_moment_sums",
        "_aggregate",
    )
    for cls in (_BaseCCA, FourierCCA):
        for hook in hooks:
            assert hook in vars(cls), (cls, hook)
            assert f"``{hook}" in _CanonicalBase.__doc__
    # One score check for both, through the views hook.
    assert "_check_score_views" in vars(_CanonicalBase)
    assert "_check_prediction_views" in vars(FourierCCA)
    assert "``_check_prediction_views" in _CanonicalBase.__doc__


@pytest.mark.parametrize("estimator, data", ESTIMATORS)
def test_dask_views_whose_sums_overflow_are_refused(estimator, data):
    # Dask chunks are not rescaled as in-memory views are: activations near
    # 1e200 overflow the held-out sums, which must say so, not return NaN.
    da = pytest.importorskip("dask.array")
    X, Y = data(seed=0)
    est = sklearn.clone(estimator).fit(X, Y)
    Xh, Yh = data(seed=1)
    big = da.from_array(Xh * 1e200, chunks=(50, *Xh.shape[1:]))
    with pytest.raises(ValueError, match="overflowed float64"):
        est.score(big, da.from_array(Yh, chunks=(50, *Yh.shape[1:])))
    # The same views in memory are rescaled and scored.
    assert np.isfinite(est.score(Xh * 1e200, Yh))
