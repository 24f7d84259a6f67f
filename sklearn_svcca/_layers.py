"""Layer-by-layer similarity: every layer of one network against every other."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_array
from sklearn.utils.validation import _num_samples

from . import _linalg
from ._cca import CCA
from ._cka import CKA
from ._parallel import check_progress, parallel_map
from ._procrustes import Procrustes
from ._pwcca import PWCCA
from ._reprs import result_repr
from ._svcca import SVCCA
from ._validation import check_input, host_array
from ._views import (
    SharedView,
    check_scoring,
    emit_aggregated,
    fit_pair,
    similarity_of,
    supports_shared_views,
)


@dataclass(frozen=True, eq=False)
class SimilarityMatrixResult:
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
    """

    similarities: np.ndarray
    labels_a: list
    labels_b: list
    estimator: object
    symmetric: bool

    def __repr__(self):
        s = self.similarities
        return result_repr(
            self,
            {
                "similarities": f"<array of shape {s.shape}, from {s.min():.3g} "
                f"to {s.max():.3g}>",
                "labels_a": self.labels_a,
                "labels_b": self.labels_b,
                "estimator": self.estimator,
                "symmetric": self.symmetric,
            },
        )


def similarity_matrix(
    layers_a,
    layers_b=None,
    *,
    estimator=None,
    scoring=None,
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
        ``result.similarities`` with the row and column labels.

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
    layer_b).similarity_`` pair by pair, to rounding.

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
        views_a = parallel_map(SharedView, [(a,) for a in arrays_a], n_jobs=n_jobs)
        views_b = (
            views_a
            if same
            else parallel_map(SharedView, [(b,) for b in arrays_b], n_jobs=n_jobs)
        )
        _check_not_constant(views_a, labels_a)
        _check_not_constant(views_b, labels_b)
        tasks = _pair_tasks(len(arrays_a), len(arrays_b), same=same, mirror=mirror)
        args = [
            (estimator, views_a[i], views_b[j], both, scoring, labels_a[i], labels_b[j])
            for i, j, both in tasks
        ]
        found = parallel_map(
            _shared_pair, args, n_jobs=n_jobs, progress=progress, desc="similarity"
        )
        results = [(value, transposed) for value, transposed, _ in found]
        # One warning per kind for the whole matrix, naming the pairs, rather
        # than one per pair (12 identical ones on a 4 x 4 grid).
        n_fits = sum(1 + both for _, _, both in tasks)
        emit_aggregated(
            [entry for _, _, entries in found for entry in entries],
            n_fits,
            "pairs of layers (X, y)",
        )
    else:
        # Without shared cross-products nothing is gained by grouping (i, j)
        # with (j, i): fit the upper triangle if mirrored, else every pair.
        tasks = _pair_tasks(len(arrays_a), len(arrays_b), same=mirror, mirror=mirror)
        args = [
            (estimator, arrays_a[i], arrays_b[j], scoring, labels_a[i], labels_b[j])
            for i, j, _ in tasks
        ]
        results = [
            (value, None)
            for value in parallel_map(
                _fitted_pair, args, n_jobs=n_jobs, progress=progress, desc="similarity"
            )
        ]

    similarities = np.full((len(arrays_a), len(arrays_b)), np.nan)
    for (i, j, both), (value, transposed) in zip(tasks, results, strict=True):
        similarities[i, j] = value
        if mirror:
            similarities[j, i] = value
        elif both:
            similarities[j, i] = transposed
    return SimilarityMatrixResult(
        similarities=similarities,
        labels_a=list(names_a),
        labels_b=list(names_b),
        estimator=clone(estimator),
        symmetric=mirror,
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
        check_array(
            host_array(a),
            dtype=(np.float64, np.float32),
            ensure_min_samples=2,
            input_name=f"{label}[{name!r}]",
        )
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


def _shared_pair(estimator, view_a, view_b, both, scoring, label_a, label_b):
    """The pair's similarity (and its transpose's), and the fits' warnings.

    The warnings come back as ``(pair, category, message)`` for
    :func:`emit_aggregated`, not emitted from the worker.
    """
    cxy = _linalg.cross_products(view_a.data, view_b.data, view_a.mean, view_b.mean)
    found = []
    diagnostics = []
    with _naming(estimator, label_a, label_b):
        fitted = fit_pair(estimator, view_a, view_b, cxy, diagnostics)
        value = similarity_of(fitted, view_a.data, view_b.data, scoring)
    found += [(f"({label_a}, {label_b})", *d) for d in diagnostics]
    transposed = None
    if both:
        diagnostics = []
        with _naming(estimator, label_b, label_a):
            fitted = fit_pair(estimator, view_b, view_a, cxy.T, diagnostics)
            transposed = similarity_of(fitted, view_b.data, view_a.data, scoring)
        found += [(f"({label_b}, {label_a})", *d) for d in diagnostics]
    return value, transposed, found


def _fitted_pair(estimator, a, b, scoring, label_a, label_b):
    with _naming(estimator, label_a, label_b):
        return similarity_of(clone(estimator).fit(a, b), a, b, scoring)


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
            raise ValueError(
                f"{label} is constant: all its {view.n_features} neurons have "
                f"zero variance over the {view.n_samples} samples. Check that its "
                "activations were recorded, or drop it."
            )
