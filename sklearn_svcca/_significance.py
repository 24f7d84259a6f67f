"""How many canonical correlations are non-zero: Bartlett–Lawley χ² tests."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.stats
from sklearn.utils._param_validation import validate_params
from sklearn.utils.validation import check_is_fitted

from . import _validation
from ._reprs import result_repr
from ._tables import Tabular


@dataclass(frozen=True, eq=False)
class BartlettLawleyResult(Tabular):
    """Sequential tests of canonical correlations (:func:`bartlett_lawley_test`).

    Entry ``j`` (0-based) tests the hypothesis that all canonical
    correlations from the ``(j + 1)``-th on are zero, i.e. that at most
    ``j`` are non-zero.

    Attributes
    ----------
    statistics : ndarray of shape (n_components,)
        Bartlett–Lawley statistic of each hypothesis.
    df : ndarray of shape (n_components,)
        Degrees of freedom ``(p - j)(q - j)`` of its χ² approximation.
    pvalues : ndarray of shape (n_components,)
        ``P(χ²_df >= statistic)``.
    n_significant : int
        Number of canonical correlations found non-zero at level ``alpha``:
        the first ``j`` whose hypothesis is not rejected (all of them if
        every one is rejected).
    alpha : float
        Significance level used for ``n_significant``.
    canonical_correlations : ndarray of shape (n_components,)
        The correlations tested, in decreasing order.
    n_samples : int
    n_features_x : int
        ``p``, the dimension of the first view.
    n_features_y : int
        ``q``, the dimension of the second view.
    """

    statistics: np.ndarray
    df: np.ndarray
    pvalues: np.ndarray
    n_significant: int
    alpha: float
    canonical_correlations: np.ndarray
    n_samples: int
    n_features_x: int
    n_features_y: int

    def _table(self):
        # Row j: "at most j canonical correlations are non-zero".
        return range(self.statistics.shape[0]), {
            "canonical_correlation": self.canonical_correlations,
            "statistic": self.statistics,
            "df": self.df,
            "pvalue": self.pvalues,
        }

    def __repr__(self):
        return result_repr(
            self,
            {
                "n_significant": f"{self.n_significant} of "
                f"{self.pvalues.shape[0]} at alpha={self.alpha:g}",
                "pvalues": self.pvalues,
                "statistics": self.statistics,
                "df": self.df,
                "canonical_correlations": self.canonical_correlations,
                "n_samples": self.n_samples,
                "n_features_x": self.n_features_x,
                "n_features_y": self.n_features_y,
            },
        )


@validate_params(
    {
        "estimator": "no_validation",
        "canonical_correlations": ["array-like", None],
        "n_samples": [_validation.Interval(Integral, 2, None, closed="left"), None],
        "n_features_x": [_validation.Interval(Integral, 1, None, closed="left"), None],
        "n_features_y": [_validation.Interval(Integral, 1, None, closed="left"), None],
        "alpha": [_validation.Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def bartlett_lawley_test(
    estimator=None,
    *,
    canonical_correlations=None,
    n_samples=None,
    n_features_x=None,
    n_features_y=None,
    alpha=0.05,
) -> BartlettLawleyResult:
    """Test how many canonical correlations are non-zero (Bartlett–Lawley).

    The sequential χ² test Morcos et al. (2018) point to for choosing how
    many canonical directions to keep: for ``j = 0, 1, ...`` test whether
    only the first ``j`` canonical correlations are non-zero, and stop at
    the first ``j`` that is not rejected.

    Read more in the :ref:`User Guide <significance>`.

    Parameters
    ----------
    estimator : fitted CCA, SVCCA or PWCCA, default=None
        Supplies ``canonical_correlations_``, ``n_samples_seen_`` and the
        dimensions: ``x_rank_`` and ``y_rank_`` (constant and dependent
        neurons do not count), or ``x_svd_dims_`` and ``y_svd_dims_`` for
        SVCCA, whose CCA is between the reduced views. It must be fitted
        with ``n_components=None`` (the test needs every correlation) and
        ``reg=0``.

    canonical_correlations : array-like of shape (min(p, q),), default=None
        All canonical correlations, instead of (or overriding) the
        estimator's.

    n_samples : int, default=None
        Number of independent samples; overrides ``n_samples_seen_``. Pass
        it when the samples are not independent (e.g. the spatial positions
        of convolutional activations count as fewer samples than there are
        rows).

    n_features_x, n_features_y : int, default=None
        Dimensions ``p`` and ``q`` of the two views; override the
        estimator's.

    alpha : float in (0, 1), default=0.05
        Significance level for ``n_significant``.

    Returns
    -------
    result : BartlettLawleyResult
        Per-hypothesis ``statistics``, ``df`` and ``pvalues``, and
        ``n_significant``.

    See Also
    --------
    similarity_baseline : A permutation test of the similarity as a whole.

    Notes
    -----
    With ``N`` samples, views of dimensions ``p`` and ``q``, and canonical
    correlations ``r_1 ≥ ... ≥ r_k``, ``k = min(p, q)``, the hypothesis
    ``H_j``: ``ρ_{j+1} = ... = ρ_k = 0`` is tested with Lawley's (1959)
    correction of Bartlett's (1938) statistic,

    .. math::

        L_j = -\\Big(N - 1 - j - \\tfrac{1}{2}(p + q + 1)
              + \\sum_{i=1}^{j} r_i^{-2}\\Big)
              \\sum_{i=j+1}^{k} \\log(1 - r_i^2),

    which is approximately :math:`\\chi^2` with ``(p - j)(q - j)`` degrees
    of freedom under ``H_j`` for Gaussian data (Glynn & Muirhead, 1978). For
    ``j = 0`` it is Bartlett's test of independence of the two views.
    Canonical correlations of 1 give an infinite statistic (p-value 0).

    The approximation needs ``N`` well above ``(p + q + 3) / 2``; an error is
    raised below that. Activations are not Gaussian and the dimensions of a
    reduced SVCCA view are chosen from the data, so treat the p-values as a
    guide; :func:`similarity_baseline` makes no distributional assumption.

    References
    ----------
    .. [1] M. S. Bartlett, "Further aspects of the theory of multiple
       regression", Proc. Cambridge Philos. Soc. 34, 1938.
    .. [2] D. N. Lawley, "Tests of significance in canonical analysis",
       Biometrika 46, 1959.
    .. [3] W. J. Glynn, R. J. Muirhead, "Inference in canonical correlation
       analysis", J. Multivariate Anal. 8, 1978.
    .. [4] A. S. Morcos, M. Raghu, S. Bengio, "Insights on representational
       similarity in neural networks with canonical correlation", NeurIPS
       2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import CCA
    >>> from sklearn_svcca.stats import bartlett_lawley_test
    >>> rng = np.random.RandomState(0)
    >>> shared = rng.normal(size=(1000, 2))
    >>> X = np.c_[shared, rng.normal(size=(1000, 4))] @ rng.normal(size=(6, 6))
    >>> Y = np.c_[shared, rng.normal(size=(1000, 3))] @ rng.normal(size=(5, 5))
    >>> Y += 0.5 * rng.normal(size=(1000, 5))
    >>> result = bartlett_lawley_test(CCA().fit(X, Y))
    >>> result.n_significant
    2
    >>> result.pvalues.round(3)
    array([0.   , 0.   , 0.622, 0.745, 0.488])
    >>> result.df
    array([30, 20, 12,  6,  2])
    """
    rho, n, p, q = _test_inputs(
        estimator, canonical_correlations, n_samples, n_features_x, n_features_y
    )
    k = rho.shape[0]
    j = np.arange(k)
    with np.errstate(divide="ignore"):
        log_terms = np.log1p(-(rho**2))  # -inf for a correlation of 1
        inv_squares = 1.0 / rho**2  # inf for 0, then every later term is 0
    # tail[j] = Σ_{i>j} log(1 - r_i²) (0-based), lawley[j] = Σ_{i<j} r_i⁻².
    tail = np.cumsum(log_terms[::-1])[::-1]
    lawley = np.concatenate(([0.0], np.cumsum(inv_squares)[:-1]))
    factor = n - 1 - j - (p + q + 1) / 2 + lawley
    with np.errstate(invalid="ignore"):
        statistics = np.where(tail < 0, -factor * tail, 0.0)
    df = (p - j) * (q - j)
    pvalues = scipy.stats.chi2.sf(statistics, df)
    not_rejected = np.flatnonzero(pvalues > alpha)
    n_significant = int(not_rejected[0]) if not_rejected.size else k
    return BartlettLawleyResult(
        statistics=statistics,
        df=df,
        pvalues=pvalues,
        n_significant=n_significant,
        alpha=float(alpha),
        canonical_correlations=rho,
        n_samples=n,
        n_features_x=p,
        n_features_y=q,
    )


def _test_inputs(estimator, rho, n, p, q):
    """Correlations, sample size and dimensions, from arguments or estimator."""
    hint = ""
    if estimator is not None:
        if not hasattr(estimator, "fit"):
            raise TypeError(
                "estimator must be a fitted CCA, SVCCA or PWCCA; got "
                f"{type(estimator).__name__}. Pass canonical_correlations, "
                "n_samples, n_features_x and n_features_y instead."
            )
        check_is_fitted(estimator)
        if not hasattr(estimator, "canonical_correlations_"):
            raise TypeError(
                f"{type(estimator).__name__} has no canonical_correlations_ to "
                "test; pass a fitted CCA, SVCCA or PWCCA, or the correlations."
            )
        if getattr(estimator, "reg", 0) != 0:
            raise ValueError(
                f"The estimator was fitted with reg={estimator.reg}: shrunk "
                "correlations do not follow the test's χ² distribution. Refit "
                "with reg=0."
            )
        if rho is None:
            rho = estimator.canonical_correlations_
            hint = (
                " The estimator keeps only n_components of them: refit it with "
                "n_components=None."
            )
        if n is None:
            n = getattr(estimator, "n_samples_seen_", None)
        if p is None:
            p = getattr(estimator, "x_svd_dims_", getattr(estimator, "x_rank_", None))
        if q is None:
            q = getattr(estimator, "y_svd_dims_", getattr(estimator, "y_rank_", None))
    missing = [
        name
        for name, value in (
            ("canonical_correlations", rho),
            ("n_samples", n),
            ("n_features_x", p),
            ("n_features_y", q),
        )
        if value is None
    ]
    if missing:
        raise ValueError(
            f"bartlett_lawley_test needs {', '.join(missing)}: pass a fitted "
            "CCA, SVCCA or PWCCA, or give them explicitly."
        )
    n, p, q = int(n), int(p), int(q)
    rho = np.asarray(_validation.host_array(rho), dtype=np.float64)
    if rho.ndim != 1:
        raise ValueError(
            f"canonical_correlations must be 1-D; got an array of shape {rho.shape}."
        )
    if not np.all(np.isfinite(rho)) or np.any((rho < 0) | (rho > 1)):
        raise ValueError(
            "canonical_correlations must be finite and in [0, 1]; got values in "
            f"[{np.nanmin(rho):.3g}, {np.nanmax(rho):.3g}]."
        )
    if rho.shape[0] != min(p, q):
        raise ValueError(
            f"The test needs all min(p, q) = {min(p, q)} canonical correlations "
            f"of views of dimensions p={p} and q={q}; got {rho.shape[0]}.{hint}"
        )
    if n - 1 - (p + q + 1) / 2 <= 0:
        raise ValueError(
            f"n_samples={n} is too small for the χ² approximation with views of "
            f"dimensions {p} and {q}: it needs n_samples > (p + q + 3) / 2 = "
            f"{(p + q + 3) / 2:g}, and many times more to be accurate. Use more "
            "samples or reduce the dimensions (SVCCA)."
        )
    return np.sort(rho)[::-1], n, p, q
