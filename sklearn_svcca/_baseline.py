"""Chance-level baselines for a similarity: permuted and Gaussian nulls."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    StrOptions,
    validate_params,
)

from . import _validation
from ._parallel import check_progress, parallel_map
from ._reprs import result_repr
from ._tables import Tabular
from ._views import (
    SharedView,
    canonical_correlations_of,
    check_splits,
    cross_validated,
    emit_aggregated,
    fit_pair,
    similarity_of,
    supports_shared_views,
)


@dataclass(frozen=True, eq=False)
class BaselineResult(Tabular):
    """A similarity and its chance level, from :func:`similarity_baseline`.

    Attributes
    ----------
    observed : float
        Similarity of the estimator fitted on the data.
    null_distribution : ndarray of shape (n_resamples,)
        Similarity on each resample (permuted or Gaussian data), in the order
        the resamples were drawn.
    null_mean : float
        Mean of ``null_distribution``: the chance level to read ``observed``
        against.
    null_std : float
        Standard deviation of ``null_distribution`` (``ddof=0``).
    pvalue : float
        ``(1 + #{null >= observed}) / (1 + n_resamples)``: the probability,
        under the null, of a similarity at least as large as ``observed``. It
        is never 0; its smallest value is ``1 / (1 + n_resamples)``.
    null : {"permutation", "gaussian"}
        Which null was sampled.
    observed_correlations : ndarray of shape (n_components,) or None
        The fitted ``canonical_correlations_``; None for estimators without
        them, and with ``cv`` (the values are then held-out similarities,
        not in-sample correlations).
    null_correlations : ndarray of shape (n_resamples, max_components) or None
        Canonical correlations of each resample, padded with NaN where a
        resample has fewer (SVCCA with a float ``svd_dims`` on Gaussian
        data); None for estimators without them, and with ``cv``. This is
        the baseline band of :class:`~sklearn_svcca.CanonicalCorrelationDisplay`.
    """

    observed: float
    null_distribution: np.ndarray
    null_mean: float
    null_std: float
    pvalue: float
    null: str
    observed_correlations: np.ndarray | None
    null_correlations: np.ndarray | None

    @property
    def n_resamples(self):
        """Number of resamples in the null distribution."""
        return self.null_distribution.shape[0]

    def _table(self):
        names = ("observed", "null_mean", "null_std", "pvalue", "n_resamples", "null")
        return None, {name: [getattr(self, name)] for name in names}

    def __repr__(self):
        return result_repr(
            self,
            {
                "observed": self.observed,
                "null": f"{self.null} {self.null_mean:.4g} ± {self.null_std:.2g} "
                f"over {self.n_resamples} resamples",
                "pvalue": self.pvalue,
                "null_distribution": self.null_distribution,
                "observed_correlations": self.observed_correlations,
                "null_correlations": self.null_correlations,
            },
        )


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "null": [StrOptions({"permutation", "gaussian"})],
        "n_resamples": [_validation.Interval(Integral, 1, None, closed="left")],
        "scoring": [callable, None],
        "cv": ["cv_object", None],
        "n_jobs": [_validation.Interval(Integral, None, None, closed="neither"), None],
        "random_state": ["random_state"],
        "progress": ["boolean", None],
    },
    prefer_skip_nested_validation=False,
)
def similarity_baseline(
    estimator,
    X,
    y,
    *,
    null="permutation",
    n_resamples=100,
    scoring=None,
    cv=None,
    n_jobs=None,
    random_state=None,
    progress=None,
) -> BaselineResult:
    """Compare a similarity with its value on data where there is nothing to find.

    The SVCCA tutorial's advice: "compute a baseline with your number of
    datapoints, where CCA correlation should be low, and analyze results
    relative to this". In-sample canonical correlations are biased upwards
    (more so the fewer samples per neuron), so a similarity means little
    until it is compared with what the same estimator reports, with the same
    number of samples and neurons, on unrelated data.

    Read more in the :ref:`User Guide <baselines>`.

    Parameters
    ----------
    estimator : estimator object
        Cloned and fitted on the data and on every resample; any estimator
        with ``fit(X, y)`` works (see ``scoring``).

    X : array-like of shape (n_samples, n_features)
        First view.

    y : array-like of shape (n_samples,) or (n_samples, n_features_y)
        Second view of the same samples.

    null : {"permutation", "gaussian"}, default="permutation"
        - ``"permutation"``: ``X`` with the samples (rows) of ``y`` randomly
          permuted. Each view keeps its own distribution, spectrum and dead
          neurons; only the pairing of samples is destroyed. The p-value is
          then an exact test of independence of the two views.
        - ``"gaussian"``: i.i.d. standard Gaussian data with the shapes of
          ``X`` and ``y``, the tutorial's baseline. It ignores the views'
          spectra, so it is a reference level rather than a test.

    n_resamples : int, default=100
        Number of permutations or Gaussian draws.

    scoring : callable, default=None
        ``scoring(fitted_estimator, X, y) -> float``, the similarity of a
        fit; None uses ``similarity_`` (or ``score(X, y)`` for estimators
        without it). For example the mean of the top 20 canonical
        correlations, as in the tutorial.

    cv : int, cross-validation generator or iterable, default=None
        None compares in-sample similarities. Otherwise the observed value
        and every resample are held-out similarities: the mean over the
        ``(train, test)`` splits (drawn once, the same for every resample)
        of the estimator fitted on the training samples and scored on the
        test samples (``scoring``, or its ``score``), as
        :func:`~sklearn.model_selection.cross_val_score` computes. Their
        null is centered near 0; a held-out similarity above it generalises
        to new samples. ``cv`` costs one fit per fold per resample. For
        grouped samples, pass the splits:
        ``cv=list(GroupKFold(5).split(X, groups=groups))``.

    n_jobs : int, default=None
        Number of resamples fitted in parallel (joblib, threads by default).
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context.
        The results do not depend on it.

    random_state : int, RandomState instance or None, default=None
        Seeds the resamples: each is drawn from its own seed, taken in order
        from this generator, so a given ``random_state`` gives the same
        result for any ``n_jobs``.

    progress : bool, default=None
        Show a progress bar on stderr; None shows it only when stderr is a
        terminal.

    Returns
    -------
    result : BaselineResult
        ``observed``, ``null_distribution``, ``null_mean``, ``null_std``,
        ``pvalue`` and the canonical correlations behind them.

    See Also
    --------
    sklearn.model_selection.permutation_test_score : The cross-validated
        variant.
    bartlett_lawley_test : How many canonical correlations are non-zero.

    Notes
    -----
    The p-value is ``(1 + #{b : s_b >= s}) / (1 + B)`` for the observed
    similarity ``s`` and the ``B`` resampled ones ``s_b``, which makes it a
    valid p-value (Phipson & Smyth, 2010). The permutation null assumes the
    samples are exchangeable: independent images, not consecutive frames or
    the spatial positions of one image.

    :func:`sklearn.model_selection.permutation_test_score` also permutes the
    samples of ``y``, but scores each permutation by cross-validation: its
    observed score and its null are held-out similarities, so its null is
    centered near 0 and it tests whether the similarity generalises to new
    samples. It works with these estimators as they are. This function keeps
    the in-sample similarity the papers report and tells you the chance
    level to read it against, for one fit per resample instead of ``cv``.

    For :class:`~sklearn_svcca.CCA`, :class:`~sklearn_svcca.SVCCA`,
    :class:`~sklearn_svcca.PWCCA`, :class:`~sklearn_svcca.CKA` and
    :class:`~sklearn_svcca.Procrustes`, the permutation null decomposes each
    view once (permuting samples changes neither view's Gram matrix nor its
    basis; an RBF kernel matrix is permuted, not recomputed) and each
    resample costs one cross-product ``XᵀPy`` and a small SVD; the values
    equal refitting on the permuted data, to rounding.

    With ``sklearn.set_config(array_api_dispatch=True)``, ``X`` and ``y``
    may be arrays of any Array API library (PyTorch, CuPy, ...). For CCA,
    SVCCA and PWCCA they are copied to the host once, where the views are
    shared between resamples (the result is then exactly that of the NumPy
    arrays); other estimators are fitted on the arrays as given. A tensor
    that requires grad is used detached.

    References
    ----------
    .. [1] M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein, "SVCCA:
       Singular Vector Canonical Correlation Analysis for Deep Learning
       Dynamics and Interpretability", NeurIPS 2017.
    .. [2] B. Phipson, G. K. Smyth, "Permutation p-values should never be
       zero", Statistical Applications in Genetics and Molecular Biology
       9(1), 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import CCA
    >>> from sklearn_svcca.stats import similarity_baseline
    >>> rng = np.random.RandomState(0)
    >>> latent = rng.normal(size=(300, 2))
    >>> X = latent @ rng.normal(size=(2, 10)) + rng.normal(size=(300, 10))
    >>> Y = latent @ rng.normal(size=(2, 8)) + rng.normal(size=(300, 8))
    >>> result = similarity_baseline(CCA(), X, Y, n_resamples=50, random_state=0)
    >>> round(result.observed, 2), round(result.null_mean, 2), round(result.null_std, 3)
    (0.33, 0.16, 0.013)
    >>> result.pvalue  # 1 / (1 + 50): no permutation came close
    0.0196...

    Unrelated views are not above chance:

    >>> noise = rng.normal(size=(300, 8))
    >>> result = similarity_baseline(CCA(), X, noise, n_resamples=50, random_state=0)
    >>> round(result.observed, 2), round(result.null_mean, 2), round(result.pvalue, 2)
    (0.16, 0.16, 0.53)

    Held out, the two shared directions generalise and the chance level is
    about 0:

    >>> from sklearn.model_selection import KFold
    >>> cv = KFold(5, shuffle=True, random_state=0)
    >>> result = similarity_baseline(
    ...     CCA(n_components=2), X, Y, cv=cv, n_resamples=20, random_state=0)
    >>> print(result)  # result.to_frame() gives a pandas DataFrame
    observed  null_mean  null_std  pvalue  n_resamples         null
       0.872      0.030     0.057   0.048           20  permutation
    """
    progress = check_progress(progress)
    X, y = _validation.check_input(X, "X"), _validation.check_input(y, "y")
    if cv is not None:
        return _held_out_baseline(
            estimator,
            X,
            y,
            null,
            n_resamples,
            scoring,
            cv,
            n_jobs,
            random_state,
            progress,
        )
    if supports_shared_views(estimator):
        # Each view is decomposed once, on the host (see Notes).
        X, y = _validation.host_array(X), _validation.host_array(y)
    observed_fit = clone(estimator).fit(X, y)
    observed = similarity_of(observed_fit, X, y, scoring)
    seeds = check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=n_resamples
    )

    if null == "permutation" and supports_shared_views(estimator):
        # fit() above validated X and y; this only converts them as it did.
        Xv, Yv = _validation.check_views(observed_fit, X, y, reset=False)
        view_x, view_y = SharedView(Xv), SharedView(Yv)
        task, args = (
            _shared_permutation,
            [(estimator, view_x, view_y, seed, scoring) for seed in seeds],
        )
    elif null == "permutation":
        task, args = (
            _refit_permutation,
            [(estimator, X, y, seed, scoring) for seed in seeds],
        )
    else:
        task, args = (
            _refit_gaussian,
            [(estimator, np.shape(X), np.shape(y), seed, scoring) for seed in seeds],
        )
    results = parallel_map(
        task, args, n_jobs=n_jobs, progress=progress, desc="similarity_baseline"
    )

    # The null fits' warnings (shared views only; a refit warns itself) are
    # mostly the observed fit's again: one per kind, counting the resamples.
    emit_aggregated(
        [entry for result in results for entry in result[2:]],
        n_resamples,
        "null fits",
    )
    return _result(
        observed,
        np.array([value for value, *_ in results]),
        null,
        canonical_correlations_of(observed_fit),
        _padded([result[1] for result in results]),
    )


def _result(observed, values, null, observed_correlations, null_correlations):
    return BaselineResult(
        observed=observed,
        null_distribution=values,
        null_mean=float(values.mean()),
        null_std=float(values.std()),
        pvalue=float((1 + np.count_nonzero(values >= observed)) / (1 + values.size)),
        null=null,
        observed_correlations=observed_correlations,
        null_correlations=null_correlations,
    )


def _held_out_baseline(
    estimator, X, y, null, n_resamples, scoring, cv, n_jobs, random_state, progress
):
    """:func:`similarity_baseline` of the cross-validated similarity."""
    splits = check_splits(cv, X)
    observed = cross_validated(estimator, X, y, splits, scoring)
    seeds = check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=n_resamples
    )
    shapes = (np.shape(X), np.shape(y))
    values = parallel_map(
        _held_out_resample,
        [(estimator, X, y, null, shapes, seed, splits, scoring) for seed in seeds],
        n_jobs=n_jobs,
        progress=progress,
        desc="similarity_baseline",
    )
    return _result(observed, np.array(values), null, None, None)


def _held_out_resample(estimator, X, y, null, shapes, seed, splits, scoring):
    rng = np.random.RandomState(seed)
    if null == "permutation":
        X_null = X
        y_null = _safe_indexing(y, rng.permutation(shapes[0][0]))
    else:
        X_null = rng.standard_normal(size=shapes[0])
        y_null = rng.standard_normal(size=shapes[1])
    return cross_validated(estimator, X_null, y_null, splits, scoring)


def _shared_permutation(estimator, view_x, view_y, seed, scoring):
    permuted = view_y.permuted(
        np.random.RandomState(seed).permutation(view_y.n_samples)
    )
    diagnostics = []
    fitted = fit_pair(estimator, view_x, permuted, diagnostics=diagnostics)
    value = similarity_of(fitted, view_x.data, permuted.data, scoring)
    found = [(f"seed {seed}", *d) for d in diagnostics]
    return (value, canonical_correlations_of(fitted), *found)


def _refit_permutation(estimator, X, y, seed, scoring):
    n = np.shape(X)[0]
    y_permuted = _safe_indexing(y, np.random.RandomState(seed).permutation(n))
    fitted = clone(estimator).fit(X, y_permuted)
    return similarity_of(fitted, X, y_permuted, scoring), canonical_correlations_of(
        fitted
    )


def _refit_gaussian(estimator, x_shape, y_shape, seed, scoring):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal(size=x_shape)
    Y = rng.standard_normal(size=y_shape)
    fitted = clone(estimator).fit(X, Y)
    return similarity_of(fitted, X, Y, scoring), canonical_correlations_of(fitted)


def _padded(rows):
    """Stack rows of varying length, padding with NaN; None if any is None."""
    if any(row is None for row in rows):
        return None
    width = max(row.shape[0] for row in rows)
    out = np.full((len(rows), width), np.nan)
    for out_row, row in zip(out, rows, strict=True):
        out_row[: row.shape[0]] = row
    return out
