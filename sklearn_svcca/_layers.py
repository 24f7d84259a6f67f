"""Layer-by-layer similarity: every layer of one network against every other."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples

from . import _linalg
from ._cca import CCA
from ._cka import CKA
from ._parallel import check_progress, parallel_map
from ._procrustes import Procrustes
from ._pwcca import PWCCA
from ._reprs import result_repr
from ._svcca import SVCCA
from ._tables import Tabular
from ._validation import check_input, check_view, constant_error, host_array
from ._views import (
    SharedView,
    check_scoring,
    check_splits,
    emit_aggregated,
    fit_pair,
    held_out_of,
    similarity_of,
    supports_shared_views,
)


@dataclass(frozen=True, eq=False)
class SimilarityMatrixResult(Tabular):
    """The similarity of every pair of layers (:func:`similarity_matrix`).

    Attributes
    ----------
    similarities : ndarray of shape (n_layers_a, n_layers_b)
        ``similarities[i, j]`` is the similarity of layer ``i`` of
        ``layers_a`` (the estimator's ``X``) with layer ``j`` of ``layers_b``
        (its ``y``).
    labels_a : list of str
        Names of the rows: the keys of a dict of layers, or ``"0"``,
        ``"1"``, ... for a list.
    labels_b : list of str
        Names of the columns.
    estimator : estimator object
        The (unfitted) estimator that was fitted on every pair.
    symmetric : bool
        Whether only half the pairs were fitted and the matrix mirrored
        (``layers_b`` None and a symmetric estimator).
    fold_similarities : ndarray of shape (n_splits, n_layers_a, n_layers_b) or None
        With ``cv``, the held-out similarity of every pair on each fold
        (``similarities`` is their mean); None for in-sample similarities.
    """

    similarities: np.ndarray
    labels_a: list
    labels_b: list
    estimator: object
    symmetric: bool
    fold_similarities: np.ndarray | None = None

    def _table(self):
        columns = {
            label: self.similarities[:, j] for j, label in enumerate(self.labels_b)
        }
        return self.labels_a, columns

    def __repr__(self):
        s = self.similarities
        fields = {
            "similarities": f"<array of shape {s.shape}, from {s.min():.3g} "
            f"to {s.max():.3g}>",
            "labels_a": self.labels_a,
            "labels_b": self.labels_b,
            "estimator": self.estimator,
            "symmetric": self.symmetric,
        }
        if self.fold_similarities is not None:
            fields["fold_similarities"] = self.fold_similarities
        return result_repr(self, fields)


def similarity_matrix(
    layers_a,
    layers_b=None,
    *,
    estimator=None,
    scoring=None,
    cv=None,
    symmetric="auto",
    n_jobs=None,
    progress=None,
) -> SimilarityMatrixResult:
    """Similarity of every layer of one network with every layer of another.

    The matrix behind the SVCCA paper's learning-dynamics plots: layers of a
    network at one training step against the layers of the trained network,
    or all layers of network A against all layers of network B.

    Read more in the :ref:`User Guide <similarity_matrix>`.

    Parameters
    ----------
    layers_a : list or dict of array-like of shape (n_samples, n_neurons_i)
        Activations of each layer on the same samples, in the same order.
        Layers may have different numbers of neurons. A dict's keys name the
        layers.

    layers_b : list or dict of array-like, default=None
        The layers to compare against (the estimator's ``y``). None compares
        ``layers_a`` with itself.

    estimator : estimator object, default=None
        Fitted (as a clone) on every pair ``(layer_a, layer_b)``; None means
        ``SVCCA()``. Any estimator with ``fit(X, y)`` works; see Notes for the
        fast path of :class:`~sklearn_svcca.CCA`,
        :class:`~sklearn_svcca.SVCCA` and :class:`~sklearn_svcca.PWCCA`.

    scoring : callable, default=None
        ``scoring(fitted_estimator, X, y) -> float`` gives the similarity of
        a pair from the estimator fitted on it. None uses the estimator's
        ``similarity_`` (or ``score(X, y)`` if it has none).

    cv : int, cross-validation generator or iterable, default=None
        None: the in-sample similarity of each pair (the estimator fitted
        on all samples). Otherwise the held-out similarity: for each
        ``(train, test)`` split (as in
        :func:`~sklearn.model_selection.cross_val_score`, whose ``cv`` this
        is; an int is unshuffled ``KFold``), the pair is fitted on the
        training samples and scored on the test samples (``scoring``, or the
        estimator's ``score``), and the fold scores are averaged. The splits
        are drawn once, so every pair is scored on the same folds. For
        grouped samples (positions of one image), pass the splits:
        ``cv=list(GroupKFold(5).split(X, groups=groups))``.

    symmetric : "auto" or bool, default="auto"
        When ``layers_b`` is None, whether ``similarity(a, b) ==
        similarity(b, a)`` so that only half the pairs need fitting.
        ``"auto"`` trusts it for :class:`~sklearn_svcca.CCA` and for
        :class:`~sklearn_svcca.SVCCA` with the same ``svd_dims`` for both
        views, and fits every ordered pair otherwise (PWCCA weights by its
        first view, so it is not symmetric). ``True`` asserts it for any
        other estimator; it is an error for a known asymmetric one.

    n_jobs : int, default=None
        Number of pairs fitted in parallel (joblib, threads by default).
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context;
        ``-1`` means all processors. The results do not depend on it.

    progress : bool, default=None
        Show a progress bar on stderr (tqdm if installed). None shows it
        only when stderr is a terminal.

    Returns
    -------
    result : SimilarityMatrixResult
        ``result.similarities`` with the row and column labels (and
        ``fold_similarities`` with ``cv``).

    See Also
    --------
    SimilarityMatrixDisplay : Heatmap of the result.

    Notes
    -----
    For :class:`~sklearn_svcca.CCA`, :class:`~sklearn_svcca.SVCCA`,
    :class:`~sklearn_svcca.PWCCA`, :class:`~sklearn_svcca.Procrustes` and
    :class:`~sklearn_svcca.CKA` with the linear kernel (exactly these
    classes) each layer is
    decomposed once: its mean, its centered Gram matrix ``XᵢᵀXᵢ`` and its
    rank-revealing basis (following the estimator's own rules: column
    scaling, ``reg``, ``svd_dims``, ``solver``) are computed for ``L``
    layers, and each pair only adds its cross-products ``XᵢᵀXⱼ`` (one GEMM)
    and a small SVD. Comparing ``L`` layers therefore costs ``L``
    decompositions and ``L(L + 1)/2`` cross-products, not ``L²`` fits. When
    ``solver="auto"`` moves a pair to the exact QR route, each layer's QR
    factorisation is also computed once and kept (``n_samples × n_neurons``
    floats per layer). The result equals ``clone(estimator).fit(layer_a,
    layer_b).similarity_`` pair by pair, to rounding. With ``cv`` the
    same holds fold by fold: each layer is decomposed once per training
    fold, and the result equals ``cross_val_score(estimator, layer_a,
    layer_b, cv=cv).mean()`` pair by pair.

    Any other estimator is cloned and fitted on each pair, on the arrays as
    given.

    With ``sklearn.set_config(array_api_dispatch=True)`` the layers may be
    arrays of any Array API library (PyTorch, CuPy, ...). The shared
    decompositions above are computed on the host, so for CCA, SVCCA and
    PWCCA each layer is copied there once (the result is then exactly that
    of the NumPy arrays); other estimators are fitted on the device. A
    tensor that requires grad is used detached.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import CCA, similarity_matrix
    >>> rng = np.random.RandomState(0)
    >>> inputs = rng.normal(size=(500, 8))
    >>> layers = {"input": inputs}
    >>> layers["hidden"] = np.tanh(inputs @ rng.normal(size=(8, 12)))
    >>> layers["noise"] = rng.normal(size=(500, 6))
    >>> result = similarity_matrix(layers, estimator=CCA())
    >>> result.labels_a
    ['input', 'hidden', 'noise']
    >>> result.similarities.round(2)
    array([[1.  , 0.85, 0.1 ],
           [0.85, 1.  , 0.14],
           [0.1 , 0.14, 1.  ]])
    >>> print(result)  # result.to_frame() gives a pandas DataFrame
            input  hidden  noise
    input   1.000   0.850  0.103
    hidden  0.850   1.000  0.145
    noise   0.103   0.145  1.000

    In sample, the unrelated "noise" layer scores 0.1 by chance; held out
    (5-fold cross-validation), it scores about 0:

    >>> held_out = similarity_matrix(layers, estimator=CCA(), cv=5)
    >>> held_out.similarities.round(2)
    array([[ 1.  ,  0.84, -0.02],
           [ 0.84,  1.  ,  0.03],
           [-0.02,  0.03,  1.  ]])
    >>> held_out.fold_similarities.shape
    (5, 3, 3)
    """
    names_a, arrays_a = _as_layers(layers_a, "layers_a")
    same = layers_b is None
    names_b, arrays_b = (
        (names_a, arrays_a) if same else _as_layers(layers_b, "layers_b")
    )
    estimator = SVCCA() if estimator is None else estimator
    if not hasattr(estimator, "fit"):
        raise TypeError(
            f"estimator must have a fit(X, y) method; got {type(estimator).__name__}."
        )
    scoring = check_scoring(scoring)
    progress = check_progress(progress)
    _check_same_samples(names_a, arrays_a, "layers_a", names_b, arrays_b, "layers_b")
    mirror = same and _use_symmetry(estimator, symmetric)
    # How errors name a layer; with layers_b omitted both sides are layers_a.
    labels_a = [f"layers_a[{name!r}]" for name in names_a]
    labels_b = labels_a if same else [f"layers_b[{name!r}]" for name in names_b]

    fast = supports_shared_views(estimator)
    if fast:
        # Parameter errors surface before any work is done.
        clone(estimator)._validate_params()
        # Layers are shared on the host (Array API arrays are copied there
        # once): see Notes.
        arrays_a = _validated(names_a, arrays_a, "layers_a")
        arrays_b = arrays_a if same else _validated(names_b, arrays_b, "layers_b")
    # (None, None): fit and score on all samples.
    folds = [(None, None)] if cv is None else check_splits(cv, arrays_a[0])

    def rows(arrays, index):
        return arrays if index is None else [_safe_indexing(a, index) for a in arrays]

    if fast:
        tasks = _pair_tasks(len(arrays_a), len(arrays_b), same=same, mirror=mirror)
        results, entries = [], []
        # One fold at a time: only one training fold of every layer (and its
        # decompositions) is held in memory.
        for k, (train, test) in enumerate(folds):
            views_a = _shared_views(rows(arrays_a, train), labels_a, n_jobs)
            views_b = (
                views_a
                if same
                else _shared_views(rows(arrays_b, train), labels_b, n_jobs)
            )
            held_a = None if test is None else rows(arrays_a, test)
            held_b = None if test is None else rows(arrays_b, test)
            args = [
                (
                    estimator,
                    views_a[i],
                    views_b[j],
                    both,
                    scoring,
                    labels_a[i],
                    labels_b[j],
                    None if test is None else (held_a[i], held_b[j]),
                )
                for i, j, both in tasks
            ]
            desc = "similarity" if cv is None else f"similarity, fold {k + 1}"
            found = parallel_map(
                _shared_pair, args, n_jobs=n_jobs, progress=progress, desc=desc
            )
            results += [(value, transposed) for value, transposed, _ in found]
            suffix = "" if cv is None else f" on training fold {k + 1}"
            entries += [
                (label + suffix, category, message)
                for _, _, fold_entries in found
                for label, category, message in fold_entries
            ]
        # One warning per kind for the whole matrix, naming the pairs, rather
        # than one per pair (12 identical ones on a 4 x 4 grid).
        n_fits = sum(1 + both for _, _, both in tasks) * len(folds)
        emit_aggregated(entries, n_fits, "pairs of layers (X, y)")
    else:
        # Without shared cross-products nothing is gained by grouping (i, j)
        # with (j, i): fit the upper triangle if mirrored, else every pair.
        tasks = _pair_tasks(len(arrays_a), len(arrays_b), same=mirror, mirror=mirror)
        args = [
            (
                estimator,
                arrays_a[i],
                arrays_b[j],
                scoring,
                labels_a[i],
                labels_b[j],
                train,
                test,
            )
            for train, test in folds
            for i, j, _ in tasks
        ]
        results = [
            (value, None)
            for value in parallel_map(
                _fitted_pair, args, n_jobs=n_jobs, progress=progress, desc="similarity"
            )
        ]

    per_fold = np.full((len(folds), len(arrays_a), len(arrays_b)), np.nan)
    for k, ((i, j, both), (value, transposed)) in enumerate(
        zip(tasks * len(folds), results, strict=True)
    ):
        fold = per_fold[k // len(tasks)]
        fold[i, j] = value
        if mirror:
            fold[j, i] = value
        elif both:
            fold[j, i] = transposed
    return SimilarityMatrixResult(
        similarities=per_fold.mean(axis=0),
        labels_a=list(names_a),
        labels_b=list(names_b),
        estimator=clone(estimator),
        symmetric=mirror,
        fold_similarities=None if cv is None else per_fold,
    )


def _as_layers(layers, name):
    if isinstance(layers, Mapping):
        names = [str(key) for key in layers]
        arrays = list(layers.values())
    elif isinstance(layers, (list, tuple)):
        names = [str(i) for i in range(len(layers))]
        arrays = list(layers)
    else:
        raise TypeError(
            f"{name} must be a list or dict of activation arrays, one per layer; "
            f"got {type(layers).__name__}. To compare two arrays, use "
            "estimator.fit(X, y).similarity_."
        )
    if not arrays:
        raise ValueError(f"{name} is empty: pass at least one layer.")
    arrays = [
        check_input(a, f"{name}[{key!r}]") for key, a in zip(names, arrays, strict=True)
    ]
    return names, arrays


def _check_same_samples(names_a, arrays_a, label_a, names_b, arrays_b, label_b):
    ref_name, ref = f"{label_a}[{names_a[0]!r}]", _num_samples(arrays_a[0])
    for label, names, arrays in (
        (label_a, names_a, arrays_a),
        (label_b, names_b, arrays_b),
    ):
        for name, array in zip(names, arrays, strict=True):
            n = _num_samples(array)
            if n != ref:
                raise ValueError(
                    f"{label}[{name!r}] has {n} samples but {ref_name} has {ref}: "
                    "every layer must hold the activations of the same samples, "
                    "in the same order."
                )


def _validated(names, arrays, label):
    return [
        check_view(host_array(a), f"{label}[{name!r}]", estimator=None, min_samples=2)
        for name, a in zip(names, arrays, strict=True)
    ]


def _known_symmetry(estimator):
    """True/False when the estimator's symmetry is known, else None."""
    if type(estimator) in (CCA, CKA, Procrustes):
        return True
    if type(estimator) is SVCCA:
        dims = estimator.svd_dims
        if isinstance(dims, (tuple, list)) and len(dims) == 2:
            return dims[0] == dims[1]
        return True
    if type(estimator) is PWCCA:
        return False
    return None


def _use_symmetry(estimator, symmetric):
    if symmetric == "auto":
        return bool(_known_symmetry(estimator))
    if not isinstance(symmetric, (bool, np.bool_)):
        raise ValueError(f"symmetric must be 'auto', True or False; got {symmetric!r}.")
    if symmetric and _known_symmetry(estimator) is False:
        raise ValueError(
            f"symmetric=True, but {estimator!r} is not symmetric: its similarity "
            "of (a, b) differs from that of (b, a) (PWCCA weights by its first "
            "view; SVCCA with different svd_dims per view). Use symmetric='auto'."
        )
    return bool(symmetric)


def _pair_tasks(n_a, n_b, *, same, mirror):
    """``(i, j, both)`` triples; ``both`` asks for ``(j, i)`` from the same task.

    With the same layers on both sides, the cross-products of ``(i, j)`` and
    ``(j, i)`` are transposes of each other, so one task computes them once
    and fits both orders unless the matrix is mirrored anyway.
    """
    if not same:
        return [(i, j, False) for i in range(n_a) for j in range(n_b)]
    return [(i, j, not mirror and i != j) for i in range(n_a) for j in range(i, n_a)]


def _shared_views(arrays, labels, n_jobs):
    views = parallel_map(SharedView, [(a,) for a in arrays], n_jobs=n_jobs)
    _check_not_constant(views, labels)
    return views


def _shared_pair(estimator, view_a, view_b, both, scoring, label_a, label_b, held):
    """The pair's similarity (and its transpose's), and the fits' warnings.

    Held out when ``held`` holds the test samples ``(a, b)``; in sample when
    it is None. The warnings come back as ``(pair, category, message)`` for
    :func:`emit_aggregated`, not emitted from the worker.
    """
    cxy = _linalg.cross_products(view_a.data, view_b.data, view_a.mean, view_b.mean)

    def value_of(fitted, x_view, y_view, x_held, y_held):
        if held is None:
            return similarity_of(fitted, x_view.data, y_view.data, scoring)
        return held_out_of(fitted, x_held, y_held, scoring)

    held_a, held_b = (None, None) if held is None else held
    found = []
    diagnostics = []
    with _naming(estimator, label_a, label_b):
        fitted = fit_pair(estimator, view_a, view_b, cxy, diagnostics)
        value = value_of(fitted, view_a, view_b, held_a, held_b)
    found += [(f"({label_a}, {label_b})", *d) for d in diagnostics]
    transposed = None
    if both:
        diagnostics = []
        with _naming(estimator, label_b, label_a):
            fitted = fit_pair(estimator, view_b, view_a, cxy.T, diagnostics)
            transposed = value_of(fitted, view_b, view_a, held_b, held_a)
        found += [(f"({label_b}, {label_a})", *d) for d in diagnostics]
    return value, transposed, found


def _fitted_pair(estimator, a, b, scoring, label_a, label_b, train, test):
    with _naming(estimator, label_a, label_b):
        if train is None:
            return similarity_of(clone(estimator).fit(a, b), a, b, scoring)
        fitted = clone(estimator).fit(
            _safe_indexing(a, train), _safe_indexing(b, train)
        )
        return held_out_of(
            fitted, _safe_indexing(a, test), _safe_indexing(b, test), scoring
        )


@contextmanager
def _naming(estimator, label_x, label_y):
    """Say which pair of layers an error comes from."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(
            f"{estimator!r} failed on X={label_x}, y={label_y}: {exc}"
        ) from exc


def _check_not_constant(views, labels):
    for view, label in zip(views, labels, strict=True):
        if _linalg.nonconstant_columns(view.cross, view.mean, view.n_samples).size == 0:
            raise constant_error(
                label, view.n_features, view.n_samples, values="neurons", unit="layer"
            )
