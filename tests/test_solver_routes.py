"""Which route ``solver="auto"`` takes, and what each route costs in accuracy.

The Gram route works from ``XᵀX``-sized statistics; its error grows like
``eps · κ²`` with ``κ`` the condition number of what it whitens, so "auto"
keeps it while every eigenvalue it relies on is at least ``1e-8`` of the
largest (errors ≲ 1e-8) and otherwise factors the data (QR). SVCCA relies
only on the directions it keeps, so an ill-conditioned tail must not push it
onto the QR route: it must never factor or SVD the data to keep a few top
directions.
"""

import numpy as np
import pytest

import sklearn_svcca._linalg as linalg
from sklearn_svcca import CCA, PWCCA, SVCCA


def _decaying(seed, n, p, decay):
    """Data whose singular values fall geometrically by ``decay`` per column."""
    rng = np.random.RandomState(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, p)))
    V, _ = np.linalg.qr(rng.normal(size=(p, p)))
    return (Q * decay ** np.arange(p)) @ V.T


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cca_matches_qr_reference_to_1e8(dtype, views, reference_correlations):
    X, Y = views(0, 3000, 50, 40, latent=10, dtype=dtype)
    est = CCA().fit(X, Y)
    assert est.solver_ == "gram"
    # Reference on the same (possibly float32) numbers, in float64.
    expected = reference_correlations(X, Y)
    np.testing.assert_allclose(est.canonical_correlations_, expected, rtol=0, atol=1e-8)
    assert PWCCA().fit(X, Y).solver_ == "gram"


def test_qr_route_is_exact_where_gram_is_not(reference_correlations):
    # Condition number 1e6 (eigenvalue ratio 1e-12): Gram loses ~4 digits.
    rng = np.random.RandomState(1)
    X = _decaying(1, 3000, 12, 10**-0.55)
    Y = X[:, :4] @ rng.normal(size=(4, 6)) + 0.5 * rng.normal(size=(3000, 6))
    expected = reference_correlations(X, Y)
    auto = CCA().fit(X, Y)
    assert auto.solver_ == "qr"
    np.testing.assert_allclose(auto.canonical_correlations_, expected, atol=1e-12)


@pytest.mark.parametrize("svd_dims", [5, 0.99, (4, 0.9)])
def test_svcca_top_directions_never_factor_the_data(svd_dims, monkeypatch):
    # Spectra decaying over 16 orders of magnitude: the tail is hopeless for
    # the Gram route, the kept top directions are not.
    n = 2000
    X = _decaying(2, n, 40, 0.4)
    Y = X @ np.random.RandomState(3).normal(size=(40, 30)) + 0.01 * _decaying(
        4, n, 30, 0.5
    )
    calls = []
    svd = linalg.svd

    def spy_svd(a):
        calls.append(a.shape)
        return svd(a)

    def no_qr(*args, **kwargs):
        raise AssertionError("the data were factored")

    monkeypatch.setattr(linalg, "svd", spy_svd)
    monkeypatch.setattr(linalg, "qr_basis", no_qr)
    monkeypatch.setattr(linalg._array_api, "qr", no_qr)
    est = SVCCA(svd_dims=svd_dims).fit(X, Y)
    assert est.solver_ == "gram"
    assert calls and all(n not in shape for shape in calls), calls
    assert est.x_svd_dims_ <= 10 and est.y_svd_dims_ <= 10


def test_svcca_takes_qr_when_the_kept_directions_need_it(monkeypatch):
    # Control for the test above: keep directions down to 1e-10 of the top
    # eigenvalue, and auto must factor the data.
    X = _decaying(5, 1500, 20, 0.25)
    Y = X[:, :10] + 0.1 * np.random.RandomState(6).normal(size=(1500, 10))
    est = SVCCA(svd_dims=(18, 10)).fit(X, Y)
    assert est.solver_ == "qr"


def test_more_neurons_than_samples_is_exact_and_warns(reference_correlations):
    # p > n: the centered view has rank n - 1 and every correlation is 1
    # once rank X + rank Y > n - 1. Exact answer, and a warning.
    from sklearn_svcca.exceptions import SampleSizeWarning

    rng = np.random.RandomState(7)
    X, Y = rng.normal(size=(50, 80)), rng.normal(size=(50, 30))
    with pytest.warns(SampleSizeWarning, match="at least 30 canonical"):
        est = CCA().fit(X, Y)
    assert est.x_rank_ == 49 and est.n_components_ == 30
    np.testing.assert_allclose(est.canonical_correlations_, 1.0, atol=1e-10)
