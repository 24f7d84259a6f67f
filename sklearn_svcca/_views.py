"""Views decomposed once and shared by many fits.

Comparing every layer with every other (:func:`~sklearn_svcca.similarity_matrix`)
or refitting on permuted samples (:func:`~sklearn_svcca.stats.similarity_baseline`)
fits many pairs of views in which each view recurs. Everything CCA, SVCCA,
PWCCA, Procrustes and CKA compute from one view alone -- its mean, its
centered cross-products ``XᵀX``, its rank-revealing basis, its RBF kernel --
is the same in every pair, so a
:class:`SharedView` computes it once; each pair then costs its cross-products
``XᵀY`` (one GEMM) and a small SVD. The estimators consume these through
:meth:`_BaseCCA._fit_from_views`, which runs their own fitting code, so the
results are those of ``fit`` on the pair.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing

from . import _array_api, _kernels, _linalg
from ._base import _safe_exponent
from ._cca import CCA
from ._cka import CKA
from ._procrustes import Procrustes
from ._pwcca import PWCCA
from ._svcca import SVCCA
from ._validation import host_array
from .exceptions import _warn

# Only these classes are known to decompose each view on its own, from its
# moments or data alone. Subclasses may override any of that, so the test is
# on the exact type.
_SHARED_VIEW_ESTIMATORS = (CCA, SVCCA, PWCCA, Procrustes, CKA)


def supports_shared_views(estimator):
    """Whether ``estimator`` can be fitted from :class:`SharedView` objects.

    Linear CKA shares the views' moments (debiased, it adds sums over
    samples that cost ``O(n (p + q))`` per pair); RBF CKA shares each view's
    ``n × n`` kernel matrix.
    """
    return type(estimator) in _SHARED_VIEW_ESTIMATORS


class SharedView:
    """One view's data, mean, cross-products and memoised decompositions.

    Thread-safe: the first fit that needs a decomposition computes it while
    the others wait for it, so a view is decomposed once even when pairs are
    fitted in parallel threads.

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_features)
        Validated, float32 or float64.
    """

    def __init__(self, data, eps=None):
        # As fit does: a view of extreme magnitude is scaled by a power of
        # two (exact). The pairs' similarities do not depend on it, and
        # fits and data stay in the same units for a scoring callable.
        exponent = _safe_exponent(data)
        self.data = data if exponent == 0 else _array_api.ldexp(data, exponent)
        self.n_samples = data.shape[0]
        self.eps = _linalg.input_eps(data) if eps is None else eps
        self.mean, self.cross = _linalg.view_moments(self.data)
        self._memo = {}
        self._lock = threading.Lock()

    @classmethod
    def from_moments(cls, n_samples, mean, cross, eps=_linalg.EPS):
        """A view known only by its moments (streamed; no data in memory).

        Fits from such views always take the Gram route; ``data`` is None.
        """
        view = cls.__new__(cls)
        view.data = None
        view.n_samples = n_samples
        view.eps = eps
        view.mean, view.cross = mean, cross
        view._memo = {}
        view._lock = threading.Lock()
        return view

    @property
    def n_features(self):
        return self.cross.shape[0]

    def gram_basis(self, *, columns, scale, reg=0.0):
        """:func:`_linalg.gram_basis` of this view, computed once per rule."""
        return self._memoised(
            ("gram", columns.tobytes(), scale, reg),
            lambda: _linalg.gram_basis(
                self.cross,
                columns=columns,
                n_samples=self.n_samples,
                scale=scale,
                reg=reg,
                mean=self.mean,
                eps=self.eps,
            ),
        )

    def qr_basis(self, *, columns, scale):
        """:func:`_linalg.qr_basis` of this view, computed once per rule."""
        return self._memoised(
            ("qr", columns.tobytes(), scale),
            lambda: _linalg.qr_basis(
                self.data, self.mean, columns=columns, scale=scale, eps=self.eps
            ),
        )

    def rbf_kernel(self, bandwidth):
        """:func:`_kernels.rbf_gram` of this view, computed once per bandwidth.

        ``n_samples²`` floats, kept as long as the view.
        """
        return self._memoised(
            ("rbf", bandwidth), lambda: _kernels.rbf_gram(self.data, bandwidth)
        )

    def effective_samples(self):
        """:func:`_linalg.effective_samples` of this view, computed once."""
        return self._memoised(
            ("effective_samples",),
            lambda: _linalg.effective_samples(
                self.data, self.mean, np.diag(self.cross)
            ),
        )

    def _memoised(self, key, compute):
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]

    def permuted(self, permutation):
        """The same view with its samples (rows) reordered.

        Means, cross-products and Gram bases do not depend on the order of
        the samples and are shared with this view; a QR basis ``Q`` has its
        rows permuted.
        """
        return _PermutedView(self, permutation)


class _PermutedView:
    """A :class:`SharedView` with its rows permuted (see ``permuted``)."""

    def __init__(self, parent, permutation):
        self._parent = parent
        self._permutation = permutation
        self.data = parent.data[permutation]
        self.n_samples = parent.n_samples
        self.mean = parent.mean
        self.eps = parent.eps
        self.cross = parent.cross
        self.n_features = parent.n_features

    def gram_basis(self, **kwargs):
        return self._parent.gram_basis(**kwargs)

    def rbf_kernel(self, bandwidth):
        p = self._permutation
        return self._parent.rbf_kernel(bandwidth)[np.ix_(p, p)]

    def effective_samples(self):
        return self._parent.effective_samples()

    def qr_basis(self, **kwargs):
        basis = self._parent.qr_basis(**kwargs)
        return replace(basis, Q=basis.Q[self._permutation])


def fit_pair(estimator, view_x, view_y, cxy=None, diagnostics=None):
    """A fitted clone of ``estimator`` on two shared views.

    ``cxy`` (their centered cross-products) is computed when not given. The
    fit's warnings go to the list ``diagnostics`` as ``(category, message)``
    when one is given (for the caller to aggregate), else are emitted.
    """
    if cxy is None:
        cxy = _linalg.cross_products(view_x.data, view_y.data, view_x.mean, view_y.mean)
    return clone(estimator)._fit_from_views(
        view_x, view_y, cxy, diagnostics=diagnostics
    )


def emit_aggregated(found, total, what):
    """Emit the warnings of many fits, at most one per category.

    ``found`` is a list of ``(label, category, message)``, one per warning
    of a fit, ``label`` naming the fit (a pair of layers, a resample);
    ``total`` is the number of fits and ``what`` names them ("pairs of
    layers (X, y)"). The first message of each category is quoted and the
    affected fits are listed.
    """
    by_category = {}
    for label, category, message in found:
        labels, messages = by_category.setdefault(category, ([], []))
        if label not in labels:
            labels.append(label)
        messages.append(message)
    for category, (labels, messages) in by_category.items():
        shown = ", ".join(labels[:_LISTED])
        if len(labels) > _LISTED:
            shown += f" and {len(labels) - _LISTED} more"
        _warn(
            f"{len(labels)} of {total} {what} warned ({category.__name__}): "
            f"{shown}. The first said: {messages[0]}",
            category,
        )


# At most this many fits are named in an aggregated warning.
_LISTED = 20


def similarity_of(fitted, X, y, scoring=None):
    """The similarity a fitted estimator reports for the data it was fitted on.

    ``scoring(fitted, X, y)`` when given; otherwise ``similarity_`` when the
    estimator has one (all of ours), else ``fitted.score(X, y)`` -- the
    in-sample score, which is what ``similarity_`` is for ours.
    """
    if scoring is not None:
        return float(scoring(fitted, X, y))
    if hasattr(fitted, "similarity_"):
        return float(fitted.similarity_)
    return float(fitted.score(X, y))


def held_out_of(fitted, X, y, scoring=None):
    """The similarity a fitted estimator reports for held-out samples.

    ``scoring(fitted, X, y)`` when given, else ``fitted.score(X, y)``: what
    :func:`~sklearn.model_selection.cross_val_score` computes on a fold.
    """
    if scoring is not None:
        return float(scoring(fitted, X, y))
    return float(fitted.score(X, y))


def check_splits(cv, X):
    """The ``(train, test)`` index pairs of a ``cv`` argument, as a list.

    Drawn once, so that every pair of views (every resample) is scored on
    the same folds; ``cv`` is anything
    :func:`~sklearn.model_selection.check_cv` takes (an int is ``KFold``
    without shuffling, as in ``cross_val_score``).
    """
    from sklearn.model_selection import check_cv

    return list(check_cv(cv).split(X))


def cross_validated(estimator, X, y, splits, scoring=None):
    """Mean held-out similarity over ``splits``, refitting a clone per fold.

    The same number as ``cross_val_score(estimator, X, y, cv=splits,
    scoring=scoring).mean()``.
    """
    values = [
        held_out_of(
            clone(estimator).fit(_safe_indexing(X, train), _safe_indexing(y, train)),
            _safe_indexing(X, test),
            _safe_indexing(y, test),
            scoring,
        )
        for train, test in splits
    ]
    return float(np.mean(values))


def check_scoring(scoring):
    """Validate a ``scoring`` argument: None or a callable."""
    if scoring is not None and not callable(scoring):
        raise TypeError(
            "scoring must be None (use the estimator's similarity_) or a callable "
            f"scoring(fitted_estimator, X, y) -> float; got {scoring!r}."
        )
    return scoring


def canonical_correlations_of(fitted):
    """The fitted canonical correlations, or None for estimators without them."""
    rho = getattr(fitted, "canonical_correlations_", None)
    return None if rho is None else np.asarray(host_array(rho), dtype=np.float64)
