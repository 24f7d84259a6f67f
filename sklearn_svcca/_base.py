"""The estimator skeleton shared by CCA, SVCCA, PWCCA, CKA and Procrustes.

Everything scikit-learn-specific lives here: parameter validation, input
checking, the fit / partial_fit / transform / score contract and the fitted
attributes. The numerics are in :mod:`sklearn_svcca._linalg`; each estimator
only says how to decompose the two views (:meth:`_BaseCCA._decompose_views`)
and how to summarise the canonical correlations (:meth:`_BaseCCA._aggregate`).

Every fit goes through sufficient statistics: ``_moment_functions`` gives
how a batch of samples is summarised and how two summaries combine. ``fit``,
``partial_fit`` and the Dask tree reduction (:mod:`sklearn_svcca._dask`) all
use these two hooks, so a subclass with other statistics overrides them (and
``_fit_moments``) and gets streaming and Dask for free. Array API inputs are
handled in :mod:`sklearn_svcca._array_api`.
"""

from __future__ import annotations

import contextlib
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._array_api import get_namespace
from sklearn.utils._param_validation import StrOptions
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_is_fitted,
    validate_data,
)

from . import _array_api, _dask, _linalg, _validation
from .exceptions import ConditioningWarning, SampleSizeWarning

_FLOAT_DTYPES = (np.float64, np.float32)


def _float_dtypes(X):
    """float64 and float32 of ``X``'s namespace (NumPy's unless dispatching)."""
    xp, is_array_api = get_namespace(X)
    return (xp.float64, xp.float32) if is_array_api else _FLOAT_DTYPES


def _check_views(X, y):
    """:func:`_validation.check_input` on both views of a fit.

    A missing ``y`` is left to ``validate_data``, whose message ("requires y
    to be passed") scikit-learn's estimator checks expect.
    """
    X = _validation.check_input(
        X, "X", what="the first view, an array of shape (n_samples, n_features)"
    )
    if y is not None:
        y = _validation.check_input(y, "y")
    return X, y


# The original tutorial's rule of thumb: at least 5-10x more samples than
# neurons, or in-sample correlations are biased upwards.
_SAMPLES_PER_DIMENSION = 5


def _overflow_error(owner="CCA"):
    return ValueError(
        "The cross-products of X or y overflowed float64: the activations "
        "are too large in magnitude. Rescale them (e.g. divide by their "
        f"maximum absolute value); {owner} is invariant to scaling."
    )


def _check_n_components(n_components, upper, sizes):
    """``n_components`` against ``min(<sizes>_x, <sizes>_y) = upper``."""
    if n_components is not None and n_components > upper:
        raise ValueError(
            f"n_components={n_components} must be at most "
            f"min({sizes}_x, {sizes}_y) = {upper}."
        )


class _BaseMeasure(BaseEstimator, metaclass=ABCMeta):
    """Base class of every two-view measure: sufficient statistics in, a fit out.

    The moments protocol, which ``fit``, ``partial_fit``, Dask
    (:mod:`sklearn_svcca._dask`) and any other driver of a stream use:

    - ``batch, merge = est._moment_functions()``: two plain picklable
      functions. ``batch(X, Y)`` summarises validated 2-D views of the same
      samples (NumPy, or another Array API namespace: the summary is always
      on the host); ``merge(a, b)`` combines the summaries of disjoint sets
      of samples, associatively and exactly, in any split.
    - ``est._fit_moments(summary, X, Y, *, warn)`` sets every fitted
      attribute, ``similarity_`` included, from a summary; ``X`` and ``Y``
      are the data when they are in memory (some routes use them), else
      None. ``est._can_solve(summary)`` says whether a summary suffices yet,
      and ``est._check_moments(summary)`` raises what a summary alone
      decides (overflow).

    Subclasses supply those hooks, ``_parameter_constraints`` and
    ``__init__``; the validation of the views, the lazy solution of
    ``partial_fit`` and the fitted-state checks are shared.
    """

    # Relative precision of (X, y) as given; fit and partial_fit record it
    # from the arrays. A fit from moments alone has no arrays to read it
    # from and assumes float64's.
    _input_eps = (_linalg.EPS, _linalg.EPS)

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the measure to two views of the same samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First view: one row per sample (datapoint), one column per
            neuron. The original SVCCA code takes ``(neurons, datapoints)``;
            pass ``acts.T``. A Dask array chunked by rows is reduced by Dask
            (the decompositions then always take the Gram route); an Array
            API array (with ``array_api_dispatch=True``) is processed in its
            namespace, on its device.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            Second view of the same samples, in the same row order. A 1-D
            ``y`` is one neuron.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        precision = self._input_precision(X, y)
        if _dask.is_dask_array(X) or _dask.is_dask_array(y):
            # The data stay with Dask: the Gram route, from the moments.
            moments = self._dask_moments(X, y, reset=True)
            data = (None, None)
        else:
            X, Y = self._check_fit_data(X, y, reset=True)
            data = (X, Y)
            moments = self._batch_moments(X, Y)
        self._input_eps = precision
        with self._new_solution(moments, like=X):
            self._fit_moments(moments, *data, warn=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        """Update the fit with one more batch of samples.

        Only the sufficient statistics (counts, means and centered
        cross-products, merged with a pairwise update) are kept, so memory is
        ``O((p + q)²)`` however many samples are streamed. After any sequence
        of calls the fitted attributes equal those of :meth:`fit` on all the
        batches concatenated (on the Gram route; see ``solver``).

        A call only accumulates: nothing is decomposed until a result is
        next needed (a fitted attribute such as ``canonical_correlations_``,
        :meth:`transform`, :meth:`score`, ...), and then once for all the
        batches seen so far. Warnings about the solution (conditioning, a
        rank below ``n_components``) are therefore raised where that first
        result is asked for.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of the first view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            The same batch of the second view.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if getattr(self, "solver", None) == "qr":
            raise ValueError(
                "solver='qr' needs all samples at once and cannot be used with "
                "partial_fit; use fit, or solver='auto' or 'gram' for streaming."
            )
        first_call = not hasattr(self, "_moments")
        precision = self._input_precision(X, y)
        if _dask.is_dask_array(X) or _dask.is_dask_array(y):
            batch = self._dask_moments(X, y, reset=first_call, min_samples=1)
            moments = batch if first_call else self._merge_moments(self._moments, batch)
        else:
            X, Y = self._check_fit_data(X, y, reset=first_call, min_samples=1)
            if first_call:
                moments = self._batch_moments(X, Y)
            else:
                moments = self._add_batch(self._stream_moments(), X, Y)
        if not first_call:
            # The stream is as precise as its least precise batch.
            precision = tuple(map(max, precision, self._input_eps))
        # What can be said without decomposing (overflow, an impossible
        # n_components) is said now, by the call that caused it.
        self._check_moments(moments)
        self._clear_solution()
        self._input_eps = precision
        self._moments = moments
        # Only moments partial_fit made itself are updated in place.
        self._owns_moments = True
        self.n_samples_seen_ = moments.n_samples
        if self._can_solve(moments):
            # Solved on first use (see __getattr__). For Array API input an
            # empty array says where the solution must live (a slice of the
            # batch would keep the whole batch alive on its device).
            self._pending_solve = (_array_api.empty_like_namespace(X),)
        return self

    # ------------------------------------------------- the lazy solution
    # fit solves at once; partial_fit leaves ``_pending_solve`` and the
    # solution is computed by the first access that needs it. Every
    # attribute a solve sets is recorded in ``_solution_names`` so that the
    # next partial_fit can drop a stale solution without knowing the
    # subclass's attributes.

    # Fitted attributes that partial_fit itself keeps up to date (set by
    # validation or by the accumulation, never by a solve): reading them
    # must not trigger one.
    _STREAM_ATTRIBUTES = frozenset(
        {"n_features_in_", "feature_names_in_", "n_samples_seen_"}
    )
    # Private attributes set by a solve that public methods read.
    _SOLUTION_PRIVATE = frozenset({"_n_features_out"})

    @contextlib.contextmanager
    def _new_solution(self, moments, *, like):
        """Around ``_fit_moments``: record what the solve sets, then place it.

        A context manager, not a wrapper function, so that the warnings
        raised inside ``_fit_moments`` keep their ``stacklevel``.
        """
        state = vars(self)
        state.pop("_pending_solve", None)
        if moments is not state.get("_moments"):
            # Moments from elsewhere (fit): not ours to update in place.
            state.pop("_owns_moments", None)
        previous = set(state.get("_solution_names", ()))
        before = set(state)
        yield
        _array_api.fitted_to_namespace(self, like)
        self._solution_names = tuple(
            sorted((set(state) - before) | (previous & set(state)))
        )

    def _clear_solution(self):
        """Forget the solution of fewer samples (before adding a batch)."""
        state = vars(self)
        for name in state.pop("_solution_names", ()):
            state.pop(name, None)
        state.pop("_pending_solve", None)

    def _solve_pending(self):
        """Solve the moments partial_fit accumulated, if not done yet."""
        pending = vars(self).get("_pending_solve")
        if pending is None:
            return
        try:
            # Streaming warns about sample size only when a fit call
            # summarises the stream: early batches are small by construction.
            with self._new_solution(self._moments, like=pending[0]):
                self._fit_moments(self._moments, None, None, warn=False)
        except BaseException:
            self._pending_solve = pending
            raise

    def __getattr__(self, name):
        # Only reached when normal lookup fails: a fitted attribute that a
        # pending partial_fit solution would set is computed now.
        state = self.__dict__
        if state.get("_pending_solve") is not None and (
            name in self._SOLUTION_PRIVATE
            or (
                name.endswith("_")
                and not name.startswith("_")
                and name not in self._STREAM_ATTRIBUTES
            )
        ):
            self._solve_pending()
            if name in state:
                return state[name]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    @staticmethod
    def _input_precision(X, y):
        """Relative precision of the two views as given, before conversion.

        Rank decisions treat a direction below the data's own rounding noise
        as a dependency (see :func:`_linalg.noise_floor`): float32
        activations are known to about 1e-7, not to float64's 1e-16.
        """
        return _linalg.input_eps(X), _linalg.input_eps(y)

    def _moment_functions(self):
        """``(batch, merge)``: summarise a batch; combine two summaries.

        Plain picklable functions, not bound methods, because Dask runs them
        on its workers (FourierCCA's carry its frequency grid in a partial).
        """
        return _linalg.compute_moments, _linalg.merge_moments

    def _batch_moments(self, X, Y):
        return self._moment_functions()[0](X, Y)

    def _merge_moments(self, a, b):
        return self._moment_functions()[1](a, b)

    def _stream_moments(self):
        """The running moments, as buffers partial_fit may update in place.

        Moments set by ``fit`` may share arrays with others (the views of
        ``_fit_from_views``, a public ``x_mean_``), so they are copied once.
        """
        moments = self._moments
        if vars(self).get("_owns_moments"):
            return moments
        return moments._replace(
            **{
                name: np.array(getattr(moments, name), order="F")
                for name in ("cxx", "cyy", "cxy")
            }
        )

    def _add_batch(self, moments, X, Y):
        """``moments`` merged with a validated batch's, reusing its buffers.

        The batch's products are added in place by the BLAS kernels, not
        formed on their own and then merged: a call costs about the batch's
        Gram products. FourierCCA, whose statistics differ, merges instead.
        """
        return _linalg.compute_moments(X, Y, into=moments)

    # ----------------------------------------------------------- Dask input
    # _dask validates and reduces arrays; the bookkeeping stays here.

    def _dask_moments(self, X, y, *, reset, min_samples=2):
        """Validate Dask views and reduce them to this estimator's moments."""
        _dask.check_solver(getattr(self, "solver", None))
        _dask.require_y(y, owner=type(self).__name__)
        X, Y = self._check_dask_views(X, y, reset=reset, min_samples=min_samples)
        return _dask.reduce_moments(X, Y, *self._moment_functions())

    def _check_dask_views(self, X, y, *, reset, min_samples=2):
        """:meth:`_check_fit_data` for Dask views (FourierCCA's are maps)."""
        X, Y = _dask.check_views(
            X, y, owner=type(self).__name__, min_samples=min_samples
        )
        self._check_features(X, Y, reset=reset)
        return X, Y

    def _check_features(self, X, Y, *, reset):
        """Record (``reset``) or check both views' feature counts and names.

        ``validate_data``'s bookkeeping, for views validated elsewhere (Dask).
        """
        _check_n_features(self, X, reset=reset)
        _check_feature_names(self, X, reset=reset)
        if reset:
            self._n_features_y = Y.shape[1]
        else:
            self._check_n_features_y(Y)

    def _check_fit_data(self, X, y, *, reset, min_samples=2):
        X, y = _check_views(X, y)
        X, Y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=_float_dtypes(X),
            multi_output=True,
            y_numeric=True,
            ensure_min_samples=min_samples,
        )
        Y = self._as_view(Y, like=X)
        if reset:
            self._n_features_y = Y.shape[1]
        else:
            self._check_n_features_y(Y)
        return X, Y

    @staticmethod
    def _as_view(Y, like=None):
        if _array_api.is_foreign(like) or _array_api.is_foreign(Y):
            # array_api_dispatch=True: follow X's namespace and device.
            return _array_api.as_view(Y, Y if like is None else like)
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if Y.dtype not in _FLOAT_DTYPES:
            Y = Y.astype(np.float64)
        return Y

    def _check_n_features_y(self, Y):
        if Y.shape[1] != self._n_features_y:
            raise ValueError(
                f"y has {Y.shape[1]} features, but {type(self).__name__} was "
                f"fitted with y having {self._n_features_y} features."
            )

    def _can_solve(self, moments):
        n = moments.n_samples
        return (
            n >= 2
            and _linalg.nonconstant_columns(moments.cxx, moments.x_mean, n).size > 0
            and _linalg.nonconstant_columns(moments.cyy, moments.y_mean, n).size > 0
        )

    def _check_moments(self, moments):
        """Errors that the moments alone decide, before any decomposition.

        partial_fit calls this for every batch, so that a stream that cannot
        be solved fails at the call that made it so, not at first use.
        """
        if not np.all(np.isfinite(moments.cxx)) or not np.all(np.isfinite(moments.cyy)):
            raise _overflow_error(type(self).__name__)

    def _varying_columns(self, moments):
        """Non-constant columns of both views; a clear error if none vary."""
        n = moments.n_samples
        self._check_moments(moments)
        cols_x = _linalg.nonconstant_columns(moments.cxx, moments.x_mean, n)
        cols_y = _linalg.nonconstant_columns(moments.cyy, moments.y_mean, n)
        for name, cols, p in (
            ("X", cols_x, moments.cxx.shape[0]),
            ("y", cols_y, moments.cyy.shape[0]),
        ):
            if cols.size == 0:
                raise ValueError(
                    f"{name} is constant: all {p} of its features have zero "
                    f"variance over the {n} samples, so there is nothing to "
                    "correlate. Check that the activations were recorded, or "
                    "drop this view."
                )
        return cols_x, cols_y

    # ------------------------------------------------------- fitted state

    def __sklearn_is_fitted__(self):
        # partial_fit may have seen too few samples to solve yet; once it
        # has seen enough, the pending solution counts (without solving).
        state = vars(self)
        return "similarity_" in state or "_pending_solve" in state

    def _check_is_fitted(self):
        if hasattr(self, "_moments") and not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance has seen "
                f"{self._moments.n_samples} sample(s) through partial_fit, not "
                "enough for both views to vary. Call partial_fit with more "
                "samples before using it."
            )
        check_is_fitted(self)
        # Every public method that needs the solution starts here.
        self._solve_pending()

    def _check_y(self, y, X):
        if y is None:
            raise ValueError(
                f"{type(self).__name__}.score requires y, the second view, but "
                "the target y is None."
            )
        y = _validation.check_input(y, "y")
        Y = check_array(y, dtype=_float_dtypes(y), ensure_2d=False, input_name="y")
        Y = self._as_view(Y, like=X)
        self._check_n_features_y(Y)
        check_consistent_length(X, Y)
        return Y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.array_api_support = True
        return tags


class _BaseCCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _BaseMeasure):
    """Base class for the canonical-correlation estimators.

    The default is plain CCA; subclasses may override ``_decompose_views``
    (SVCCA), ``_set_similarity`` and ``_aggregate`` (PWCCA).
    """

    _parameter_constraints: dict = {
        "n_components": [_validation.Interval(Integral, 1, None, closed="left"), None],
        "reg": [_validation.Interval(Real, 0, 1, closed="both")],
        "solver": [StrOptions({"auto", "gram", "qr"})],
    }

    @abstractmethod
    def __init__(self, n_components=None, *, reg=0.0, solver="auto"):
        self.n_components = n_components
        self.reg = reg
        self.solver = solver

    def _check_moments(self, moments):
        super()._check_moments(moments)
        upper = min(moments.cxx.shape[0], moments.cyy.shape[0])
        _check_n_components(self.n_components, upper, "n_features")

    def _fit_from_views(self, view_x, view_y, cxy, *, warn=True):
        """Fit from two views whose statistics and decompositions are shared.

        Equivalent to ``fit(view_x.data, view_y.data)`` (to rounding), for
        callers that fit many pairs sharing a view: every pair of layers in
        :func:`~sklearn_svcca.similarity_matrix`, every permutation of a
        baseline. Each view (see :mod:`sklearn_svcca._views`) holds its
        validated ``data``, ``n_samples``, ``mean`` and centered ``cross``
        products, and memoises its bases (``gram_basis``, ``qr_basis``), so
        it is decomposed once however many pairs it is in; only the pair's
        cross-products ``cxy`` are new. Validating the data is the caller's
        job.
        """
        self._validate_params()
        self.n_features_in_ = view_x.data.shape[1]
        self._n_features_y = view_y.data.shape[1]
        moments = _linalg.Moments(
            view_x.n_samples, view_x.mean, view_y.mean, view_x.cross, view_y.cross, cxy
        )
        self._input_eps = (view_x.eps, view_y.eps)
        self._check_moments(moments)
        with self._new_solution(moments, like=None):
            self._fit_moments(
                moments,
                view_x.data,
                view_y.data,
                warn=warn,
                shared=(view_x, view_y),
            )
        return self

    def _view_bases(
        self, moments, columns, data, *, route, scale, reg=0.0, shared=None
    ):
        """Bases of both views on ``route`` ("gram" or "qr").

        ``columns`` and ``data`` are pairs (X's, y's). ``shared`` is None or
        the pair of views of ``_fit_from_views``: when fitting many pairs
        that share views, each view's memoised basis is reused instead of
        being computed again.
        """
        views = (
            (moments.cxx, moments.x_mean),
            (moments.cyy, moments.y_mean),
        )
        bases = []
        for i, (c, mean) in enumerate(views):
            if shared is not None and route == "gram":
                basis = shared[i].gram_basis(columns=columns[i], scale=scale, reg=reg)
            elif shared is not None:
                basis = shared[i].qr_basis(columns=columns[i], scale=scale)
            elif route == "gram":
                basis = _linalg.gram_basis(
                    c,
                    columns=columns[i],
                    n_samples=moments.n_samples,
                    scale=scale,
                    reg=reg,
                    mean=mean,
                    eps=self._input_eps[i],
                )
            else:
                basis = _linalg.qr_basis(
                    data[i],
                    mean,
                    columns=columns[i],
                    scale=scale,
                    eps=self._input_eps[i],
                )
            bases.append(basis)
        return bases

    def _fit_moments(self, moments, X, Y, *, warn, shared=None):
        """Set every fitted attribute from the moments (and data, if any).

        ``shared``: the two views of ``_fit_from_views``, or None.
        """
        n = moments.n_samples
        cols_x, cols_y = self._varying_columns(moments)

        bx, by, solver, extra = self._decompose_views(
            moments, cols_x, cols_y, X, Y, shared=shared
        )
        rho, A, B = _linalg.canonical_directions(bx, by, moments.cxy)
        A_full = np.zeros((moments.cxx.shape[0], rho.shape[0]))
        B_full = np.zeros((moments.cyy.shape[0], rho.shape[0]))
        A_full[bx.columns] = A
        B_full[by.columns] = B
        rho, A_full, B_full = self._unit_variance(rho, A_full, B_full, moments)

        k = rho.shape[0]
        if self.n_components is not None:
            # While streaming, early batches have rank at most n - 1 by
            # construction: warn only once that cannot explain the deficit.
            few_samples = n - 1 < max(moments.cxx.shape[0], moments.cyy.shape[0])
            if self.n_components > k and (warn or not few_samples):
                warnings.warn(
                    f"n_components={self.n_components} but only {k} canonical "
                    f"correlations exist (the views have rank {bx.rank} and "
                    f"{by.rank} after removing constant and dependent neurons); "
                    f"keeping {k}.",
                    UserWarning,
                    stacklevel=4,
                )
            k = min(k, self.n_components)
        # scikit-learn's convention: the entry of largest magnitude in each
        # column of A is positive, and B's matching column follows, so the
        # pair's correlation keeps its sign whatever route found it.
        A_full, B_t = svd_flip(A_full[:, :k], B_full[:, :k].T)
        B_full = B_t.T

        self._moments = moments
        self.n_samples_seen_ = n
        self.canonical_correlations_ = rho[:k]
        self.x_weights_ = A_full
        self.y_weights_ = B_full
        self.x_mean_ = moments.x_mean
        self.y_mean_ = moments.y_mean
        self.n_components_ = k
        self.x_rank_ = bx.numerical_rank
        self.y_rank_ = by.numerical_rank
        self.solver_ = solver
        for name, value in extra.items():
            setattr(self, name, value)
        self._n_features_out = k
        self._set_similarity(moments)

        if solver == "gram":
            self._warn_conditioning(bx, by)
        if warn:
            self._warn_sample_size(n, bx.rank, by.rank)

    def _decompose_views(self, moments, cols_x, cols_y, X, Y, *, shared=None):
        """Rank-revealing bases of both views for plain CCA.

        Returns ``(basis_x, basis_y, route, extra)`` where ``route`` is the
        solver actually used and ``extra`` holds estimator-specific fitted
        attributes (none here). SVCCA overrides this to truncate the bases.
        """
        if self.solver == "qr" and self.reg > 0:
            raise ValueError(
                f"solver='qr' computes exact CCA and does not support "
                f"reg={self.reg}; use solver='auto' or 'gram' with shrinkage."
            )
        columns, data = (cols_x, cols_y), (X, Y)
        if self.solver != "qr":
            bx, by = self._view_bases(
                moments,
                columns,
                data,
                route="gram",
                scale=True,
                reg=self.reg,
                shared=shared,
            )
        route = self._choose_route(
            X,
            lambda: (
                self.reg == 0 and (bx.needs_exact_route() or by.needs_exact_route())
            ),
        )
        if route == "qr":
            bx, by = self._view_bases(
                moments, columns, data, route="qr", scale=True, shared=shared
            )
        return bx, by, route, {}

    def _choose_route(self, X, needs_exact):
        """The route actually taken: "gram" or "qr"."""
        if self.solver == "qr":
            if X is None:  # pragma: no cover - partial_fit rejects it earlier
                raise ValueError("solver='qr' needs the data in memory.")
            return "qr"
        if self.solver == "auto" and X is not None and needs_exact():
            return "qr"
        return "gram"

    def _unit_variance(self, rho, A, B, moments):
        """Scale directions to unit-variance variates; fix up shrinkage.

        Without shrinkage the whitened directions already give variates of
        unit norm and their correlations are the singular values. With
        ``reg > 0`` the singular values are those of the shrunk problem, so
        the reported correlations are the actual correlations of the fitted
        variates on the training data, in descending order: this keeps
        ``score`` on the training data equal to the fitted similarity.
        """
        n = moments.n_samples
        if self.reg == 0:
            return rho, A * np.sqrt(n - 1), B * np.sqrt(n - 1)
        r, nx, ny = _linalg.variate_correlations(A, B, moments)
        r = np.clip(r, 0.0, 1.0)
        order = np.argsort(-r, kind="stable")
        A = A / np.where(nx > 0, nx, 1.0) * np.sqrt(n - 1)
        B = B / np.where(ny > 0, ny, 1.0) * np.sqrt(n - 1)
        return r[order], A[:, order], B[:, order]

    def _warn_conditioning(self, bx, by):
        for name, b in (("X", bx), ("y", by)):
            if b.rank and b.s[-1] ** 2 < _linalg.GRAM_RCOND * b.s[0] ** 2:
                warnings.warn(
                    f"{name} is ill-conditioned (squared singular values span "
                    f"{b.s[0] ** 2 / b.s[-1] ** 2:.1e}): on the Gram route its "
                    "canonical correlations may be accurate to fewer than 8 "
                    "digits. Fit in memory with solver='auto' or 'qr' for the "
                    "exact route.",
                    ConditioningWarning,
                    stacklevel=5,
                )

    def _warn_sample_size(self, n, rx, ry):
        trivial = rx + ry - (n - 1)
        if trivial > 0:
            warnings.warn(
                f"Only {n} samples for views of rank {rx} and {ry}: at least "
                f"{trivial} canonical correlations are 1 whatever the data. Use "
                f"{_SAMPLES_PER_DIMENSION}-10x more samples than neurons, reduce "
                "the dimension (SVCCA), or score on held-out data "
                "(cross_val_score).",
                SampleSizeWarning,
                stacklevel=5,
            )
        elif n < _SAMPLES_PER_DIMENSION * max(rx, ry):
            warnings.warn(
                f"Only {n} samples for views of rank {rx} and {ry}: in-sample "
                "canonical correlations are biased upwards with fewer than "
                f"{_SAMPLES_PER_DIMENSION}-10x more samples than neurons. Score "
                "on held-out data (cross_val_score) or reduce the dimension "
                "(SVCCA).",
                SampleSizeWarning,
                stacklevel=5,
            )

    # ------------------------------------------------------- summarising

    def _set_similarity(self, moments):
        """Set ``similarity_`` (and any per-estimator attributes)."""
        self.similarity_ = float(np.mean(self.canonical_correlations_))

    def _aggregate(self, r, Xc, Yc, U, V):
        """Summarise held-out correlations ``r`` of the canonical pairs."""
        return float(np.mean(r))

    def _aggregate_moments(self, r, moments):
        """:meth:`_aggregate` when only the data's moments are at hand (Dask)."""
        return float(np.mean(r))

    # --------------------------------------------------------- transform

    def transform(self, X, y=None):
        """Project onto the canonical directions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y), \
                default=None
            Second view; when given, its canonical variates are returned too.

        Returns
        -------
        X_c : ndarray of shape (n_samples, n_components_)
            Canonical variates of ``X``: unit variance on the training data,
            the ``i``-th most correlated with the ``i``-th of ``y``. Same
            float dtype as ``X``, and the same kind of array: a lazy Dask
            array for a Dask array, an array of the input's namespace and
            device for an Array API input.
        (X_c, y_c) : tuple of ndarrays
            When ``y`` is given.
        """
        self._check_is_fitted()
        if _dask.is_dask_array(X) or _dask.is_dask_array(y):
            X, Y = _dask.prediction_views(X, y, owner=type(self).__name__)
            _check_n_features(self, X, reset=False)
            Xt = _dask.project(X, self.x_mean_, self.x_weights_, "X")
            if Y is None:
                return Xt
            self._check_n_features_y(Y)
            Yt = _dask.project(Y, self.y_mean_, self.y_weights_, "y")
            return self._pair_output(Xt, Yt, y)
        X = _validation.check_input(X, "X")
        X = validate_data(self, X, reset=False, dtype=_float_dtypes(X))
        _array_api.check_same_namespace(
            X, self, attribute="x_weights_", method="transform"
        )
        Xt = (X - _array_api.astype(self.x_mean_, X.dtype)) @ _array_api.astype(
            self.x_weights_, X.dtype
        )
        if y is None:
            return Xt
        Y = self._check_y(y, X)
        Yt = (Y - _array_api.astype(self.y_mean_, Y.dtype)) @ _array_api.astype(
            self.y_weights_, Y.dtype
        )
        return self._pair_output(Xt, Yt, y)

    def _pair_output(self, Xt, Yt, y):
        # set_output wraps only the first element of a tuple; give y's
        # variates the same container so both halves match (for Dask input
        # too: a requested pandas container computes them, as it does X's).
        return Xt, _wrap_data_with_container("transform", Yt, y, self)

    def score(self, X, y):
        """Similarity of ``X`` and ``y`` along the fitted directions.

        Both views are projected with the fitted weights, the Pearson
        correlation of each canonical pair is taken on the given data and the
        correlations are aggregated (see the estimator's Notes). On the
        training data this is ``similarity_``. On held-out data it is the
        cross-validated similarity: it is near 0 for unrelated views, where
        the in-sample similarity is inflated by chance correlations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            Second view of the same samples.

        Returns
        -------
        score : float
            Higher means more similar; at most 1. Can be negative on held-out
            data.
        """
        self._check_is_fitted()
        if _dask.is_dask_array(X) or _dask.is_dask_array(y):
            # The correlations of the canonical pairs (and PWCCA's weights)
            # are functions of the moments of the given data: one reduction
            # pass gives what score computes from data in memory.
            X, Y = self._check_dask_views(X, y, reset=False)
            moments = _dask.reduce_moments(X, Y, *self._moment_functions())
            r, _, _ = _linalg.variate_correlations(
                np.asarray(self.x_weights_), np.asarray(self.y_weights_), moments
            )
            return self._aggregate_moments(r, moments)
        X = _validation.check_input(X, "X")
        X = validate_data(self, X, reset=False, dtype=_float_dtypes(X))
        _array_api.check_same_namespace(X, self, attribute="x_weights_", method="score")
        Y = self._check_y(y, X)
        if X.shape[0] < 2:
            raise ValueError(
                f"score needs at least 2 samples to compute correlations, got "
                f"{X.shape[0]}."
            )
        # A variate that is constant on these samples must not pick up a
        # correlation from rounding noise: measure noise before centering.
        tol_u = _linalg.projection_rounding(X, self.x_weights_)
        tol_v = _linalg.projection_rounding(Y, self.y_weights_)
        if _array_api.is_foreign(X):
            Xc, Yc = _array_api.centered(X), _array_api.centered(Y)
        else:
            Xc = X.astype(np.float64)
            Xc -= Xc.mean(axis=0)
            Yc = Y.astype(np.float64)
            Yc -= Yc.mean(axis=0)
        U = Xc @ self.x_weights_
        V = Yc @ self.y_weights_
        r = _linalg.pearson_columns(U, V, tol_u, tol_v)
        return self._aggregate(r, Xc, Yc, U, V)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
