"""The estimator skeleton shared by CCA, SVCCA, PWCCA, CKA and Procrustes.

Everything scikit-learn-specific lives here: parameter validation, the
fit / partial_fit / transform / score contract and the fitted attributes;
the views of every call are checked by :func:`_validation.check_views`.
The numerics are in :mod:`sklearn_svcca._linalg`; each estimator only says
how to decompose the two views (:meth:`_BaseCCA._route_bases`) and how
to summarise the canonical correlations (``_aggregate``). Classes:
:class:`_BaseMeasure` (every measure: the moments protocol and the lazy
``partial_fit`` solution), :class:`_DenseMoments` (the dense moments hooks),
:class:`_CanonicalBase` (every canonical estimator, dense or Fourier: the one
score path) and :class:`_BaseCCA` (the dense solve and shared views).
Each class's docstring lists its subclass hooks.

Every fit goes through sufficient statistics: ``_moment_functions`` gives
how a batch of samples is summarised and how two summaries combine. ``fit``,
``partial_fit`` and the Dask tree reduction (:mod:`sklearn_svcca._dask`) all
use these two hooks, so a subclass with other statistics overrides them (and
``_fit_moments``) and gets streaming and Dask for free. Array API inputs are
handled in :mod:`sklearn_svcca._array_api`.
"""

from __future__ import annotations

import contextlib
import functools
import math
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
from sklearn.utils._param_validation import StrOptions
from sklearn.utils._set_output import _wrap_data_with_container
from sklearn.utils.validation import check_is_fitted

from . import _array_api, _dask, _linalg, _validation
from .exceptions import (
    ConditioningWarning,
    SampleSizeWarning,
    SparseActivationWarning,
    _warn,
)

# At most this many neurons are named in a SparseActivationWarning.
_LISTED_NEURONS = 20


# The original tutorial's rule of thumb: at least 5-10x more samples than
# neurons, or in-sample correlations are biased upwards.
_SAMPLES_PER_DIMENSION = 5


def _sample_size_diagnostics(n, rx, ry):
    """The :class:`SampleSizeWarning` for ``n`` samples and views of these ranks."""
    trivial = rx + ry - (n - 1)
    if trivial > 0:
        return [
            (
                SampleSizeWarning,
                f"Only {n} samples for views of rank {rx} and {ry}: at least "
                f"{trivial} canonical correlations are 1 whatever the data. Use "
                f"{_SAMPLES_PER_DIMENSION}-10x more samples than neurons, reduce "
                "the dimension (SVCCA), or score on held-out data "
                "(cross_val_score).",
            )
        ]
    if n < _SAMPLES_PER_DIMENSION * max(rx, ry):
        return [
            (
                SampleSizeWarning,
                f"Only {n} samples for views of rank {rx} and {ry}: in-sample "
                "canonical correlations are biased upwards with fewer than "
                f"{_SAMPLES_PER_DIMENSION}-10x more samples than neurons. Score "
                "on held-out data (cross_val_score) or reduce the dimension "
                "(SVCCA).",
            )
        ]
    return []


def _emit(diagnostics):
    """Emit a fit's ``(category, message)`` diagnostics at the user's call.

    None (a subclass's ``_fit_moments`` that warns itself) emits nothing.
    """
    for category, message in diagnostics or ():
        _warn(message, category)


# Views whose largest magnitude is within 2**±_SAFE_EXPONENT are used as they
# are: their products neither underflow (squares of values below ~1e-154 are
# subnormal and lose digits) nor overflow (sums of squares of values above
# ~1e154). Others are scaled by a power of two, which is exact.
_SAFE_EXPONENT = 100

# Mean squares below this (2**-970, ~1e-292) have squares of their smaller
# values in float64's subnormal range: digits are lost.
_TINY_MEAN_SQUARE = 2.0**-970


def _safe_exponent(A):
    """``e`` such that ``A * 2**e`` has its largest magnitude in [0.5, 1).

    0 when ``A``'s magnitudes are within ``2**±_SAFE_EXPONENT`` already, so
    ordinary data are not copied.
    """
    if A.shape[0] == 0:
        return 0
    top = _array_api.max_abs(A)
    if not (np.isfinite(top) and top > 0):
        return 0
    exponent = int(np.frexp(top)[1])
    return 0 if abs(exponent) <= _SAFE_EXPONENT else -exponent


def _unit_columns(W):
    """``W`` with each column scaled by a power of two to a largest entry
    in [0.5, 1), where some column is beyond ``2**±_SAFE_EXPONENT``.

    Exact; a variate's correlations do not depend on its scale. ``W`` is
    ``(..., p, k)`` (stacked problems: a column per problem and pair). Works
    in ``W``'s namespace (the exponents come from a small host copy).
    """
    if math.prod(W.shape) == 0:
        return W
    xp, _ = _linalg.namespace_of(W)
    top = _linalg.to_host(xp.max(xp.abs(W), axis=W.ndim - 2))
    if top.ndim > 1:
        top = top[..., None, :]
    exponents = -np.frexp(np.where(top > 0, top, 1.0))[1]
    if np.all(np.abs(exponents) <= _SAFE_EXPONENT):
        return W
    return _array_api.ldexp(W, exponents)


def _variates(X, mean, weights):
    """``(X - mean) @ weights`` in ``X``'s dtype (and namespace).

    The variates have unit variance, but the weights of activations far
    from 1 can be beyond float32's range (1/σ near 1e40): those are applied
    in float64 and only the variates are cast.
    """
    if _array_api.max_abs(weights) < _FLOAT32_SAFE or str(X.dtype).endswith("64"):
        return (X - _array_api.astype(mean, X.dtype)) @ _array_api.astype(
            weights, X.dtype
        )
    return _array_api.astype(_array_api.project(X, mean, weights), X.dtype)


# Weights below this are applied in float32 to float32 data.
_FLOAT32_SAFE = 1e30


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
      samples (NumPy, or another Array API namespace: the dense moments
      then stay in it, on its device; FourierCCA's and debiased CKA's
      summaries are on the host); ``merge(a, b)`` combines the summaries
      of disjoint sets of samples, associatively and exactly, in any split.
    - ``est._fit_moments(summary, X, Y, *, warn)`` sets every fitted
      attribute, ``similarity_`` included, from a summary; ``X`` and ``Y``
      are the data when they are in memory (some routes use them), else
      None. ``est._can_solve(summary)`` says whether a summary suffices yet,
      and ``est._check_moments(summary)`` raises what a summary alone
      decides (overflow).

    Every hook, who implements it and what it returns:

    - ``_moment_functions()``, ``_can_solve(summary) -> bool``: as above.
      :class:`_DenseMoments` (CCA, SVCCA, PWCCA, Procrustes, CKA, which
      adapts them for debiased and RBF CKA) and FourierCCA.
    - ``_stream_moments() -> summary``: the running summary as buffers
      ``_add_batch(summary, X, Y) -> summary`` may update in place;
      :class:`_DenseMoments`, CKA, FourierCCA (which merges instead).
    - ``_magnitudes(summary) -> ((mean_square, top_mean), ...)`` per view,
      for ``_check_magnitude``; :class:`_DenseMoments`, FourierCCA.
    - ``_fit_moments(summary, X, Y, *, warn) -> diagnostics``: sets the
      fitted attributes and returns the warnings as ``(category,
      message)`` pairs for the public method to emit; every estimator.
    - ``_check_moments(summary)``: raises what the summary alone decides
      (here: overflow); CCA family, CKA, FourierCCA extend it.
    - ``_check_fit_data(X, y, *, reset, min_samples) -> (X, Y)``: the
      validated views of any kind (FourierCCA: maps).
    - ``_reset_shapes(x_shape, y_shape)``: records one sample's shapes for
      ``_moment_functions_for`` (FourierCCA: map shapes).
    - ``_score_moments(summary) -> float``: ``score`` from held-out
      moments (:class:`_CanonicalBase`; CKA, Procrustes); NotImplementedError
      where a summary cannot give it.
    - ``_fit_from_views(view_x, view_y, cxy, *, diagnostics)``: fit from
      shared views (:class:`_BaseCCA`, CKA; see
      :func:`sklearn_svcca._views.supports_shared_views`).

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
        X, Y = self._check_fit_data(X, y, reset=True)
        if _dask.is_dask_array(X):
            # The data stay with Dask: the Gram route, from the moments, in
            # the data's own units (_check_magnitude refuses what underflows).
            moments = _dask.reduce_moments(X, Y, *self._moment_functions())
            self._exponents = (0, 0)
            data = (None, None)
        else:
            self._exponents = (_safe_exponent(X), _safe_exponent(Y))
            X, Y = self._scaled(X, Y)
            data = (X, Y)
            moments = self._batch_moments(X, Y)
        self._input_eps = precision
        with self._new_solution(moments, like=X):
            diagnostics = self._fit_moments(moments, *data, warn=True)
            self._unscale_fitted()
        _emit(diagnostics)
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
        _validation.check_solver(
            getattr(self, "solver", None), where="partial_fit", instead="fit"
        )
        # A call that fails leaves the stream exactly as it was: the batch is
        # not counted and later valid batches keep working.
        state = dict(self.__dict__)
        try:
            self._partial_fit(X, y)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise
        return self

    def _partial_fit(self, X, y):
        first_call = not hasattr(self, "_moments")
        precision = self._input_precision(X, y)
        X, Y = self._check_fit_data(X, y, reset=first_call, min_samples=1)
        if _dask.is_dask_array(X):
            if first_call:
                self._exponents = (0, 0)
            elif self._exponents != (0, 0):
                raise ValueError(
                    "This stream's first batch was scaled by a power of two "
                    f"{self._exponents} for its extreme magnitude, which Dask "
                    "batches are not: pass in-memory batches, or bring the "
                    "activations near 1 before streaming."
                )
            batch = _dask.reduce_moments(X, Y, *self._moment_functions())
            # Checked before merging: one overflowing batch would otherwise
            # turn the merged statistics to NaN for good.
            self._check_finite(batch, batch=True)
            moments = batch if first_call else self._merge_moments(self._moments, batch)
        else:
            if first_call:
                # Later batches share the first one's scale, so that their
                # statistics can be merged.
                self._exponents = (_safe_exponent(X), _safe_exponent(Y))
            X, Y = self._scaled(X, Y)
            if first_call:
                moments = self._batch_moments(X, Y)
            else:
                # Refused before its products are added in place: a batch
                # the stream's scale cannot hold would overflow or underflow.
                self._check_batch_scale(X, Y)
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
                diagnostics = self._fit_moments(self._moments, None, None, warn=False)
                self._unscale_fitted()
        except BaseException:
            self._pending_solve = pending
            raise
        _emit(diagnostics)

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

    def _moment_functions_for(self, x_shape, y_shape):
        """Reset for samples of these shapes; return ``_moment_functions()``.

        The first half of fitting from moments computed elsewhere (for
        example streamed from a model by :mod:`sklearn_svcca.torch`):
        ``x_shape`` and ``y_shape`` are the shapes of one sample of each
        view, e.g. ``(p,)`` or FourierCCA's ``(height, width, channels)``.
        The caller computes the moments of its batches with the returned
        ``(batch, merge)`` functions and passes the result to
        :meth:`_fit_from_moments`.
        """
        self._reset_shapes(tuple(x_shape), tuple(y_shape))
        return self._moment_functions()

    def _reset_shapes(self, x_shape, y_shape):
        self.n_features_in_ = int(np.prod(x_shape))
        self._n_features_y = int(np.prod(y_shape))

    def _fit_from_moments(self, moments, *, eps=(_linalg.EPS, _linalg.EPS), warn=True):
        """Set every fitted attribute from moments computed elsewhere.

        The second half of :meth:`_moment_functions_for`; equivalent to
        ``fit`` on the samples the moments summarise, on the Gram route (no
        data is at hand for the exact one). ``eps`` is the relative
        precision of each view as recorded (e.g. float32's for float32
        activations), which sets the rank tolerance as ``fit`` would.
        """
        self._validate_params()
        self._input_eps = tuple(eps)
        self._check_moments(moments)
        with self._new_solution(moments, like=None):
            diagnostics = self._fit_moments(moments, None, None, warn=warn)
        _emit(diagnostics)
        return self

    def _score_moments(self, moments):
        """``score`` on the samples summarised by ``moments`` (held-out data)."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot score held-out data from its moments."
        )

    def _batch_moments(self, X, Y):
        return self._moment_functions()[0](X, Y)

    def _merge_moments(self, a, b):
        return self._moment_functions()[1](a, b)

    def _check_fit_data(self, X, y, *, reset, min_samples=2):
        """Both views of ``fit`` / ``partial_fit``, of any kind (see
        :func:`_validation.check_views`); Dask views cannot take the QR route."""
        X, Y = _validation.check_views(self, X, y, reset=reset, min_samples=min_samples)
        if _dask.is_dask_array(X):
            _validation.check_solver(
                getattr(self, "solver", None),
                where="Dask arrays",
                instead="compute() the arrays first",
            )
        return X, Y

    # Powers of two applied to (X, y) before any product (see _safe_exponent);
    # the moments are kept in those units, the public attributes are not.
    _exponents = (0, 0)

    def _scaled(self, X, Y):
        """The views times ``2**exponent`` (exact), or as they are."""
        return tuple(
            a if e == 0 else _array_api.ldexp(a, e)
            for a, e in zip((X, Y), self._exponents, strict=True)
        )

    def _check_batch_scale(self, X, Y):
        """Refuse a batch whose magnitude the stream's scale cannot hold."""
        for name, a, e in zip(("X", "y"), (X, Y), self._exponents, strict=True):
            if _safe_exponent(a) != 0:
                top = _array_api.max_abs(a)
                raise _validation.scale_error(
                    f"This batch of {name} is about {top:.0e} times the "
                    "magnitude of the stream's first batch"
                    + (f" (which was scaled by 2**{e})" if e else ""),
                    "its products with the stream would underflow or overflow float64",
                    remedy="Bring all batches to a similar scale",
                    batch=True,
                )

    def _check_magnitude(self, moments):
        """Refuse views too small for float64 products (unscaled routes).

        In-memory fits and shared views scale each view by a power of two
        first; Dask input is used as it is, and squares below ~1e-292 lose
        digits (subnormal) or vanish.
        """
        for name, (mean_square, top_mean) in zip(
            ("X", "y"), self._magnitudes(moments), strict=True
        ):
            # Values near 1e-300 have squares of exactly 0: non-zero means
            # tell them from all-zero activations.
            if mean_square < _TINY_MEAN_SQUARE and top_mean > 0:
                size = max(np.sqrt(mean_square), top_mean)
                raise _validation.too_small_error(
                    name,
                    f"{size:.0e}",
                    "their products underflow float64",
                    owner=type(self).__name__,
                    remedy="Multiply them by a large power of two (e.g. "
                    "2.0**500), or pass them as in-memory NumPy arrays, which "
                    "are scaled automatically",
                )

    def _unscale_fitted(self):
        """Put the means and weights fitted on scaled views in the data's units.

        With ``Xs = X 2**e``: ``mean = mean_s 2**-e`` and, for the variates
        ``(X - mean) W`` to be ``(Xs - mean_s) W_s``, ``W = W_s 2**e``.
        Everything else (correlations, ranks, PWCCA's normalised weights)
        is invariant to scaling a whole view.
        """
        for view, e in zip("xy", self._exponents, strict=True):
            if e == 0:
                continue
            mean, weights = f"{view}_mean_", f"{view}_weights_"
            setattr(self, mean, _array_api.ldexp(getattr(self, mean), -e))
            setattr(self, weights, _array_api.ldexp(getattr(self, weights), e))
            if not _array_api.all_finite(getattr(self, weights)):
                name = "X" if view == "x" else "y"
                raise _validation.too_small_error(
                    name,
                    f"2**{-e}",
                    "the weights that map them to unit-variance canonical "
                    "variates overflow float64",
                    owner=type(self).__name__,
                )

    @staticmethod
    def _finite(moments):
        """Whether every statistic in ``moments`` is finite (any namespace)."""
        # Dense moments' sums of squares are None (derived, not stored).
        return all(_array_api.all_finite(a) for a in moments[1:] if a is not None)

    def _check_finite(self, moments, *, batch=False):
        """Refuse statistics that overflowed float64, saying what to do."""
        if not self._finite(moments):
            raise _validation.overflow_error(type(self).__name__, batch=batch)

    def _check_moments(self, moments):
        """Errors that the moments alone decide, before any decomposition.

        partial_fit calls this for every batch, so that a stream that cannot
        be solved fails at the call that made it so, not at first use.
        """
        self._check_finite(moments)

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.array_api_support = True
        return tags


class _DenseMoments:
    """The moments hooks of :class:`_BaseMeasure` for dense views.

    Summaries are :class:`_linalg.Moments` (count, means, centered
    cross-products of two 2-D views), accumulated in place by the BLAS
    kernels. Mixed into the dense canonical estimators (:class:`_BaseCCA`)
    and :class:`~sklearn_svcca.CKA`; FourierCCA has its own statistics and
    does not get these.
    """

    def _moment_functions(self):
        """``(batch, merge)``: summarise a batch; combine two summaries.

        Plain picklable functions, not bound methods, because Dask runs them
        on its workers (FourierCCA's carry its frequency grid in a partial).
        """
        return _linalg.compute_moments, _linalg.merge_moments

    def _stream_moments(self):
        """The running moments, as buffers partial_fit may update in place.

        Moments set by ``fit`` may share arrays with others (the views of
        ``_fit_from_views``, a public ``x_mean_``), so they are copied once.
        """
        moments = self._moments
        if vars(self).get("_owns_moments") or _array_api.is_foreign(moments.cxx):
            # Another namespace's moments are merged, not updated in place.
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

    @staticmethod
    def _magnitudes(moments):
        """Per view: the largest uncentered mean square of a neuron, and
        the largest magnitude of a mean."""
        n = moments.n_samples
        xp, _ = _linalg.namespace_of(moments.cxx)
        return tuple(
            (
                float(xp.max(xp.linalg.diagonal(c) / n + mean**2))
                if c.shape[0]
                else 0.0,
                float(xp.max(xp.abs(mean))) if c.shape[0] else 0.0,
            )
            for c, mean in (
                (moments.cxx, moments.x_mean),
                (moments.cyy, moments.y_mean),
            )
        )

    def _can_solve(self, moments):
        n = moments.n_samples
        return (
            n >= 2
            and _linalg.nonconstant_columns(moments.cxx, moments.x_mean, n).size > 0
            and _linalg.nonconstant_columns(moments.cyy, moments.y_mean, n).size > 0
        )

    def _varying_columns(self, moments):
        """Non-constant columns of both views; a clear error if none vary."""
        n = moments.n_samples
        self._check_moments(moments)
        self._check_magnitude(moments)
        cols_x = _linalg.nonconstant_columns(moments.cxx, moments.x_mean, n)
        cols_y = _linalg.nonconstant_columns(moments.cyy, moments.y_mean, n)
        for name, cols, p in (
            ("X", cols_x, moments.cxx.shape[0]),
            ("y", cols_y, moments.cyy.shape[0]),
        ):
            if cols.size == 0:
                raise _validation.constant_error(name, p, n)
        return cols_x, cols_y


class _CanonicalBase(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _BaseMeasure):
    """What every canonical-correlation estimator shares, dense or Fourier.

    The score path: :meth:`score` validates the views
    (``_check_score_views``), projects them block by block onto the fitted
    weights (``_score_sums_function``; one block in memory, one per chunk
    under Dask, merged by :func:`_linalg.merge_score_sums`), turns the
    merged sums into the pairs' correlations
    (:func:`_linalg.correlations_from_sums`) and aggregates them
    (``_aggregate``). :meth:`_score_moments` does the same from the
    held-out data's moments (``_moment_sums``).

    The solve: :meth:`_solve_problems`, the same for every canonical
    estimator, from the estimator's ``_route_bases``.

    Subclass hooks (``_check_prediction_views`` has a default here, for 2-D
    views; the others are implemented by :class:`_BaseCCA` for dense views
    and by :class:`~sklearn_svcca.FourierCCA` for maps):

    - ``_route_bases(moments, X, Y, *, shared) -> (gram, needs_exact,
      qr_bases)``: how the views become problems and their bases on each
      route, for :func:`_linalg.solve_on_routes` (the dense estimators: one
      problem of the non-constant columns; FourierCCA: a stack of solved
      frequencies, whose exact route takes the DFT of the maps). ``shared``
      is the pair of shared views of ``_fit_from_views`` (dense only).

    - ``_check_prediction_views(X, y, *, method) -> (X, Y)``: the views
      of ``transform`` / ``score`` checked against the fit (Dask arrays
      stay Dask arrays); FourierCCA reads them as maps.
    - ``_score_weights() -> (A, B)``: the weights whose variates are scored,
      ``(..., p, k)`` and ``(..., q, k)`` (FourierCCA: per solved
      frequency).
    - ``_score_sums_function() -> f``: ``f(X, Y, x_weights, y_weights)``
      gives the :class:`_linalg.ScoreSums` of one block; a plain picklable
      function (Dask runs it on its workers).
    - ``_moment_sums(moments, A, B) -> ScoreSums``: the same sums in
      closed form from a summary of ``_moment_functions``.
    - ``_aggregate(r, sums) -> float``: the score from the pairs'
      correlations ``r`` (the mean; PWCCA: projection weights from
      ``sums``; FourierCCA: the mean over frequencies, ``-f`` like ``f``).
    - ``_score_cross``: None, or the view (``"x"``, ``"y"``) whose cross
      sums ``_aggregate`` reads (PWCCA).

    plus :class:`_BaseMeasure`'s moments protocol.
    """

    def _solve_problems(self, moments, X, Y, *, shared=None):
        """The one solve of every canonical estimator, dense or Fourier.

        The estimator says how its views become problems and what their
        bases are on each route (``_route_bases``: the kept columns, or
        the DFT's frequencies); :meth:`_exact_problems` decides each
        problem's route; :func:`_linalg.solve_on_routes` solves them; a view
        with nothing resolvable is refused. What is left to the estimator
        is how the pairs are aggregated into its fitted attributes.

        Returns
        -------
        pairs : _linalg.CanonicalPairs
        bx, by : _linalg.ViewBasis
            The bases each problem was solved from.
        exact : bool or ndarray of bool
            Which problems took the exact route (a scalar applies to all).
        """
        gram, needs_exact, qr_bases = self._route_bases(moments, X, Y, shared=shared)
        exact = self._exact_problems(X, needs_exact)
        pairs, (bx, by) = _linalg.solve_on_routes(gram, exact, qr_bases, moments.cxy)
        self._check_resolvable(
            moments.n_samples,
            int(np.sum(bx.numerical_rank)),
            int(np.sum(by.numerical_rank)),
        )
        return pairs, bx, by, exact

    def _exact_problems(self, X, needs_exact):
        """Which problems the exact (QR) route decides; the one route rule.

        All of them with ``solver="qr"``; with ``"auto"`` and the data in
        memory (``X`` not None), those that ``needs_exact()`` flags from
        their Gram bases; none otherwise (``"gram"``, or moments alone).
        A bool for one problem, or ``needs_exact()``'s host mask for a
        stack (scalars broadcast).
        """
        if self.solver == "qr":
            if X is None:  # pragma: no cover - partial_fit rejects it earlier
                raise ValueError("solver='qr' needs the data in memory.")
            return True
        if self.solver == "auto" and X is not None:
            return needs_exact()
        return False

    def _check_resolvable(self, n, rank_x, rank_y):
        """Refuse a view whose variation is all below its own rounding.

        Such a view passes the constant-neuron test (its values do differ)
        but every direction is below its :func:`_linalg.noise_floor`: its
        numerical rank is 0 and no correlation can be computed. Every fit
        (in memory, streamed, Dask, shared views, FourierCCA) ends here.
        """
        for name, rank, eps in zip(
            ("X", "y"), (rank_x, rank_y), self._input_eps, strict=True
        ):
            if rank == 0:
                raise ValueError(
                    f"{name} has no variation resolvable at its precision: its "
                    f"neurons vary over the {n} samples, but by less than the "
                    "rounding of their values (relative precision "
                    f"{eps:.1e} of each value's magnitude), so its numerical "
                    "rank is 0 and nothing can be correlated. This happens "
                    "with a large offset and a small spread in float32 (e.g. "
                    "1e8 + noise of 1). Subtract the mean before casting to "
                    "float32, or pass float64."
                )

    # ------------------------------------------------------------ scoring
    # One path: the held-out samples are projected block by block onto the
    # fitted weights, each block gives mergeable sums (_linalg.ScoreSums),
    # and _score_sums turns the merged sums into the score. In memory the
    # data are one block; Dask reduces its chunks' sums; moments (streamed
    # cross-validation) give the same sums in closed form.

    # See the class docstring; _BaseCCA sets it for PWCCA.
    _score_cross = None

    def _check_prediction_views(self, X, y, *, method):
        """The views of ``transform`` / ``score`` (``method``), checked
        against the fit; Dask arrays stay Dask arrays."""
        return _validation.check_views(self, X, y, reset=False, method=method)

    def _check_score_views(self, X, y):
        """``score``'s validated views: at least 2 samples, in the fit's
        namespace (Dask arrays stay Dask arrays)."""
        X, Y = self._check_prediction_views(X, y, method="score")
        _validation.check_score_samples(X.shape[0])
        if not _dask.is_dask_array(X):
            _array_api.check_same_namespace(
                X, self, attribute="x_weights_", method="score"
            )
        return X, Y

    def _score_sums(self, sums, A, B):
        """The score of the samples ``sums`` summarise (``A``, ``B``: the weights)."""
        # In memory the views are scaled first; Dask chunks are not, and
        # activations near 1e200 overflow their sums: say so, never NaN.
        finite = math.isfinite(sums.x_norm) and math.isfinite(sums.y_norm)
        if not (finite and all(_array_api.all_finite(a) for a in sums[3:6])):
            raise _validation.overflow_error(
                type(self).__name__, what="held-out sums of squares"
            )
        return self._aggregate(_linalg.correlations_from_sums(sums, A, B), sums)

    def _score_moments(self, moments):
        """``score`` on the samples summarised by ``moments`` (held-out data).

        The sums of the canonical pairs (and PWCCA's cross sums) are
        functions of the moments of the data, so this equals ``score`` on
        those samples (used for streamed cross-validation).
        """
        A, B = (_array_api.to_numpy(w) for w in self._score_weights())
        return self._score_sums(self._moment_sums(moments, A, B), A, B)

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
        X, Y = self._check_score_views(X, y)
        block_sums = self._score_sums_function()
        if _dask.is_dask_array(X):
            A, B = (_array_api.to_numpy(w) for w in self._score_weights())
            sums = _dask.reduce_moments(
                X,
                Y,
                functools.partial(block_sums, x_weights=A, y_weights=B),
                _linalg.merge_score_sums,
            )
            return self._score_sums(sums, A, B)
        # Correlations (and PWCCA's normalised weights) are unchanged when a
        # view or a weight column is multiplied by a power of two: bring
        # extreme ones near 1, so that activations near 1e-300 and their
        # weights near 1e300 overflow or underflow no product below.
        X, Y = (
            a if (e := _safe_exponent(a)) == 0 else _array_api.ldexp(a, e)
            for a in (X, Y)
        )
        A, B = map(_unit_columns, self._score_weights())
        return self._score_sums(block_sums(X, Y, A, B), A, B)

    def _pair_output(self, Xt, Yt, y):
        # set_output wraps only the first element of a tuple; give y's
        # variates the same container so both halves match (for Dask input
        # too: a requested pandas container computes them, as it does X's).
        return Xt, _wrap_data_with_container("transform", Yt, y, self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _BaseCCA(_DenseMoments, _CanonicalBase):
    """Base class of the dense canonical estimators: CCA, SVCCA, PWCCA, Procrustes.

    Solves from :class:`_linalg.Moments` (and the data, on the exact route)
    and fits from shared views (``_fit_from_views``, for
    :func:`~sklearn_svcca.similarity_matrix` and baselines). The default is
    plain CCA. Subclass hooks:

    - ``_route_bases``: see :class:`_CanonicalBase`; here one problem of
      the non-constant columns, which SVCCA overrides to truncate the
      bases.
    - ``_basis_attributes(bx, by)``: fitted attributes read off the bases
      solved from (SVCCA's ``svd_dims`` and explained variances).
    - ``_set_similarity(moments, inner)`` sets ``similarity_`` (PWCCA: its
      projection weights, from the fit's inner products).
    - ``_aggregate(r, sums)`` and ``_score_cross``: see
      :class:`_CanonicalBase` (PWCCA).
    - ``_fit_moments`` and ``transform``: Procrustes replaces the solve and
      its variates.
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

    def _fit_from_views(self, view_x, view_y, cxy, *, diagnostics=None):
        """Fit from two views whose statistics and decompositions are shared.

        Equivalent to ``fit(view_x.data, view_y.data)`` (to rounding), for
        callers that fit many pairs sharing a view: every pair of layers in
        :func:`~sklearn_svcca.similarity_matrix`, every permutation of a
        baseline. Each view (see :mod:`sklearn_svcca._views`) holds its
        validated ``data``, ``n_samples``, ``mean`` and centered ``cross``
        products, and memoises its bases (``gram_basis``, ``qr_basis``), so
        it is decomposed once however many pairs it is in; only the pair's
        cross-products ``cxy`` are new. Validating the data is the caller's
        job. Views built from streamed moments alone
        (``SharedView.from_moments``, ``data`` None) take the Gram route.
        The fit's warnings are appended to the list ``diagnostics`` as
        ``(category, message)`` for the caller to aggregate, or emitted when
        it is None.
        """
        self._validate_params()
        self.n_features_in_ = view_x.n_features
        self._n_features_y = view_y.n_features
        moments = _linalg.Moments(
            view_x.n_samples, view_x.mean, view_y.mean, view_x.cross, view_y.cross, cxy
        )
        self._input_eps = (view_x.eps, view_y.eps)
        self._check_moments(moments)
        with self._new_solution(moments, like=None):
            found = self._fit_moments(
                moments,
                view_x.data,
                view_y.data,
                warn=True,
                shared=(view_x, view_y),
            )
        if diagnostics is None:
            _emit(found)
        else:
            diagnostics.extend(found or ())
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

        ``shared``: the two views of ``_fit_from_views``, or None. Returns
        the fit's warnings as a list of ``(category, message)``; the public
        method emits them (``warn=False`` leaves out the sample-size
        warning, for the early batches of a stream).
        """
        n = moments.n_samples
        diagnostics = []
        pairs, bx, by, exact = self._solve_problems(moments, X, Y, shared=shared)
        rho, A, B, _, P, T = pairs
        cols_x, cols_y = bx.columns, by.columns
        solver = "qr" if exact else "gram"
        extra = self._basis_attributes(bx, by)
        inner_x = _linalg.variate_inner(bx, P, moments.cxx)
        inner_y = _linalg.variate_inner(by, T, moments.cyy)
        # Dropped (constant) neurons get zero directions and zero inner
        # products with the variates.
        A_full, B_full, inner_x, inner_y = (
            _linalg.scatter_rows(a, cols, c.shape[0])
            for a, cols, c in (
                (A, bx.columns, moments.cxx),
                (B, by.columns, moments.cyy),
                (inner_x, bx.columns, moments.cxx),
                (inner_y, by.columns, moments.cyy),
            )
        )
        rho, A_full, B_full, order = self._unit_variance(rho, A_full, B_full, moments)
        inner_x, inner_y = (_linalg.take(a, order, axis=1) for a in (inner_x, inner_y))

        k = rho.shape[0]
        if self.n_components is not None:
            # While streaming, early batches have rank at most n - 1 by
            # construction: warn only once that cannot explain the deficit.
            few_samples = n - 1 < max(moments.cxx.shape[0], moments.cyy.shape[0])
            if self.n_components > k and (warn or not few_samples):
                diagnostics.append(
                    (
                        UserWarning,
                        f"n_components={self.n_components} but only {k} canonical "
                        f"correlations exist (the views have rank {bx.rank} and "
                        f"{by.rank} after removing constant and dependent "
                        f"neurons); keeping {k}.",
                    )
                )
            k = min(k, self.n_components)
        # scikit-learn's convention: the entry of largest magnitude in each
        # column of A is positive, and B's matching column follows, so the
        # pair's correlation keeps its sign whatever route found it.
        A_full, B_full = _linalg.align_phases(A_full[:, :k], B_full[:, :k])

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
        self._set_similarity(moments, inner=(inner_x[:, :k], inner_y[:, :k]))

        if solver == "gram":
            diagnostics += self._conditioning_diagnostics(bx, by)
        if warn:
            diagnostics += _sample_size_diagnostics(n, bx.rank, by.rank)
        if X is not None:
            diagnostics += self._few_sample_diagnostics(
                X, Y, moments, cols_x, cols_y, shared
            )
        return diagnostics

    def _few_sample_diagnostics(self, X, Y, moments, cols_x, cols_y, shared):
        """The :class:`SparseActivationWarning` of an in-memory fit, if any.

        ``shared``: the views of ``_fit_from_views``, which memoise it.
        """
        n = moments.n_samples
        found = []
        for i, (name, data, mean, c, kept) in enumerate(
            (
                ("X", X, moments.x_mean, moments.cxx, cols_x),
                ("y", Y, moments.y_mean, moments.cyy, cols_y),
            )
        ):
            if shared is not None:
                n_eff = shared[i].effective_samples()
            else:
                xp, _ = _linalg.namespace_of(c)
                n_eff = _linalg.effective_samples(data, mean, xp.linalg.diagonal(c))
            few = np.intersect1d(_linalg.few_sample_columns(n_eff, n), kept)
            if few.size:
                names = getattr(self, "feature_names_in_", None) if i == 0 else None
                labels = [str(names[j]) if names is not None else str(j) for j in few]
                shown = ", ".join(labels[:_LISTED_NEURONS])
                if few.size > _LISTED_NEURONS:
                    shown += f" and {few.size - _LISTED_NEURONS} more"
                found.append(f"{few.size} of {name}'s neurons ({shown})")
        if not found:
            return []
        return [
            (
                SparseActivationWarning,
                f"{' and '.join(found)} vary on only a handful of the {n} "
                "samples (fewer than "
                f"{_linalg.FEW_SAMPLES} effective samples carry their variance). "
                "A canonical direction can be fitted to those samples alone and "
                "will not generalise: held-out scores (cross_val_score) can "
                "collapse on the folds that hold them. Use shrinkage (reg > 0) "
                "or drop these neurons.",
            )
        ]

    def _route_bases(self, moments, X, Y, *, shared=None):
        """The bases of both views on each route, for plain CCA.

        One problem: the views' non-constant columns. Returns
        ``(gram, needs_exact, qr_bases)`` for
        :func:`_linalg.solve_on_routes`: the Gram bases (None with
        ``solver="qr"``), a callable saying whether they are too
        ill-conditioned (for ``solver="auto"``) and a callable giving the
        QR bases. SVCCA overrides this to truncate the bases.
        """
        if self.solver == "qr" and self.reg > 0:
            raise ValueError(
                f"solver='qr' computes exact CCA and does not support "
                f"reg={self.reg}; use solver='auto' or 'gram' with shrinkage."
            )
        columns, data = self._varying_columns(moments), (X, Y)
        gram = None
        if self.solver != "qr":
            gram = self._view_bases(
                moments,
                columns,
                data,
                route="gram",
                scale=True,
                reg=self.reg,
                shared=shared,
            )

        def needs_exact():
            return self.reg == 0 and (
                gram[0].needs_exact_route() or gram[1].needs_exact_route()
            )

        def qr_bases(rows):
            return self._view_bases(
                moments, columns, data, route="qr", scale=True, shared=shared
            )

        return gram, needs_exact, qr_bases

    def _basis_attributes(self, bx, by):
        """Estimator-specific fitted attributes read off the bases solved
        from (none here; SVCCA's ``svd_dims`` and explained variances)."""
        return {}

    def _unit_variance(self, rho, A, B, moments):
        """Scale directions to unit-variance variates; fix up shrinkage.

        Returns the correlations and directions, and the order applied to
        the pairs (the identity without shrinkage).

        Without shrinkage the whitened directions already give variates of
        unit norm and their correlations are the singular values. With
        ``reg > 0`` the singular values are those of the shrunk problem, so
        the reported correlations are the actual correlations of the fitted
        variates on the training data, in descending order: this keeps
        ``score`` on the training data equal to the fitted similarity.
        """
        n = moments.n_samples
        if self.reg == 0:
            order = np.arange(rho.shape[0])
            return rho, A * math.sqrt(n - 1), B * math.sqrt(n - 1), order
        xp, _ = _linalg.namespace_of(A)
        r, nx, ny = _linalg.variate_correlations(A, B, moments)
        r = xp.clip(r, 0.0, 1.0)
        # The order of the k pairs is decided on the host.
        order = np.argsort(-_linalg.to_host(r), kind="stable")
        A = A / _linalg.safe_divisor(nx) * math.sqrt(n - 1)
        B = B / _linalg.safe_divisor(ny) * math.sqrt(n - 1)
        r, A, B = (_linalg.take(a, order, axis=a.ndim - 1) for a in (r, A, B))
        return r, A, B, order

    def _conditioning_diagnostics(self, bx, by):
        diagnostics = []
        for name, b in (("X", bx), ("y", by)):
            # With shrinkage the QR route is not available, and a direction
            # of relative variance below 1e-13 is shrunk away anyway.
            if b.unresolved and self.reg == 0:
                diagnostics.append(
                    (
                        ConditioningWarning,
                        f"The Gram route dropped {b.unresolved} direction(s) of "
                        f"{name} that it cannot resolve (squared singular values "
                        "below ~1e-13 of the largest) but that the data may hold: "
                        f"{name}'s rank may be {b.rank + b.unresolved} rather than "
                        f"{b.rank}, and directions correlated with the other view "
                        "may be missing. Fit in memory with solver='auto' or 'qr', "
                        "which decide them from the data.",
                    )
                )
            if b.ill_conditioned_kept():
                first, last = (float(b.s[0]), float(b.s[b.rank - 1]))
                diagnostics.append(
                    (
                        ConditioningWarning,
                        f"{name} is ill-conditioned (squared singular values span "
                        f"{first**2 / last**2:.1e}): on the Gram route its "
                        "canonical correlations may be accurate to fewer than 8 "
                        "digits. Fit in memory with solver='auto' or 'qr' for the "
                        "exact route.",
                    )
                )
        return diagnostics

    # ------------------------------------------------------- summarising

    def _set_similarity(self, moments, inner=None):
        """Set ``similarity_`` (and any per-estimator attributes).

        ``inner`` is the pair ``(inner_x, inner_y)`` of inner products of
        each view's neurons with its unit-length canonical variates
        (:func:`_linalg.variate_inner`), shape ``(n_features, n_components_)``.
        """
        xp, _ = _linalg.namespace_of(self.canonical_correlations_)
        self.similarity_ = float(xp.mean(self.canonical_correlations_))

    # ------------------------------------------- the score hooks, dense

    def _score_weights(self):
        """The weights scored: ``(..., p, k)`` and ``(..., q, k)``."""
        return self.x_weights_, self.y_weights_

    def _score_sums_function(self):
        """``f(X, Y, x_weights, y_weights) -> ScoreSums`` for one block.

        A plain picklable function: Dask runs it on each chunk.
        """
        return functools.partial(_linalg.dense_score_sums, cross=self._score_cross)

    def _moment_sums(self, moments, A, B):
        """The :class:`~sklearn_svcca._linalg.ScoreSums` that ``moments`` imply."""
        n = moments.n_samples
        norms = (
            math.sqrt(max(float(np.trace(c)) + n * float(mean @ mean), 0.0))
            for c, mean in (
                (moments.cxx, moments.x_mean),
                (moments.cyy, moments.y_mean),
            )
        )
        return _linalg.sums_from_moments(
            n,
            moments.cxx,
            moments.cyy,
            moments.cxy,
            A,
            B,
            x_norm=next(norms),
            y_norm=next(norms),
            shifts=(moments.x_mean @ A, moments.y_mean @ B),
            means=(moments.x_mean, moments.y_mean),
            cross=self._score_cross,
        )

    def _aggregate(self, r, sums):
        """Summarise the held-out correlations ``r`` of the canonical pairs."""
        xp, _ = _linalg.namespace_of(r)
        return float(xp.mean(r))

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
        X, Y = self._check_prediction_views(X, y, method="transform")
        if _dask.is_dask_array(X):
            Xt = _dask.project(X, self.x_mean_, self.x_weights_, "X")
            if Y is None:
                return Xt
            Yt = _dask.project(Y, self.y_mean_, self.y_weights_, "y")
            return self._pair_output(Xt, Yt, y)
        _array_api.check_same_namespace(
            X, self, attribute="x_weights_", method="transform"
        )
        Xt = _variates(X, self.x_mean_, self.x_weights_)
        if Y is None:
            return Xt
        Yt = _variates(Y, self.y_mean_, self.y_weights_)
        return self._pair_output(Xt, Yt, y)
