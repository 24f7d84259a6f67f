"""Singular Vector Canonical Correlation Analysis (Raghu et al., 2017)."""

from __future__ import annotations

from dataclasses import replace
from numbers import Integral, Real

from sklearn.utils._param_validation import StrOptions

from . import _array_api, _linalg, _validation
from ._base import _BaseCCA

_INT_DIMS = _validation.Interval(Integral, 1, None, closed="left")
_FRACTION_DIMS = _validation.Interval(Real, 0, 1, closed="right")


class SVCCA(_BaseCCA):
    """SVCCA: CCA between the top singular directions of two views.

    Each view is first reduced to its leading singular directions (the
    directions that carry most of its variance), and CCA is computed between
    the reduced views. This discards low-variance directions that
    plain CCA would happily correlate, and makes the similarity of wide
    layers less pessimistic.

    Read more in the :ref:`User Guide <svcca>`.

    Parameters
    ----------
    svd_dims : int, float, "mle" or pair of those, default=0.99
        Singular directions kept per view.

        - int: keep that many, or the whole view if it has fewer directions
          (its rank), so that one grid of values serves layers of any
          width.
        - float in (0, 1]: keep the fewest directions whose explained-variance
          ratio ``s² / Σ s²`` reaches it, as :class:`~sklearn.decomposition.PCA`
          does with a float ``n_components``. The default 0.99 is the paper's
          99 %.
        - ``"mle"``: Minka's estimate of the view's dimension under
          probabilistic PCA, as ``PCA(n_components="mle")`` chooses it
          (computed on the view's column space, at least 1).
        - ``(for_x, for_y)``: a different choice per view.

    n_components : int, default=None
        Number of canonical pairs to keep; None keeps all
        ``min(x_svd_dims_, y_svd_dims_)``.

    reg : float in [0, 1], default=0.0
        Shrinkage of the reduced views' covariances:
        ``Σ ← (1 - reg) Σ + reg (tr Σ / k) I``.

    solver : {"auto", "gram", "qr"}, default="auto"
        How the singular directions are computed: from the eigendecomposition
        of ``XᵀX`` (``"gram"``; no SVD of the data is ever formed), from a QR
        of the data followed by an SVD of ``R`` (``"qr"``), or the Gram route
        unless the kept directions are ill-conditioned (``"auto"``). See
        :class:`CCA`.

    Attributes
    ----------
    canonical_correlations_ : ndarray of shape (n_components_,)
        Canonical correlations of the reduced views, descending, in [0, 1].

    x_weights_ : ndarray of shape (n_features_in_, n_components_)
        Maps the centered ``X`` to its canonical variates (SVD reduction and
        CCA composed), which have unit variance on the training data.

    y_weights_ : ndarray of shape (n_features_y, n_components_)
        The same for ``y``.

    x_mean_ : ndarray of shape (n_features_in_,)
        Per-neuron mean of ``X`` on the training data.

    y_mean_ : ndarray of shape (n_features_y,)
        Per-neuron mean of ``y`` on the training data.

    n_components_ : int
        Number of canonical pairs kept.

    x_svd_dims_ : int
        Number of singular directions of ``X`` kept.

    y_svd_dims_ : int
        Number of singular directions of ``y`` kept.

    x_explained_variance_ratio_ : ndarray of shape (x_svd_dims_,)
        Fraction of the variance of ``X`` carried by each kept direction.

    y_explained_variance_ratio_ : ndarray of shape (y_svd_dims_,)
        Fraction of the variance of ``y`` carried by each kept direction.

    x_rank_ : int
        Numerical rank of the centered ``X`` before the reduction.

    y_rank_ : int
        Numerical rank of the centered ``y`` before the reduction.

    similarity_ : float
        Mean of ``canonical_correlations_``: :meth:`score` on the training
        data.

    solver_ : {"gram", "qr"}
        The route actually taken.

    n_samples_seen_ : int
        Number of samples the fit is based on.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    CCA : Canonical correlations of the full views.
    PWCCA : Projection-weighted CCA, which needs no dimension choice.

    Notes
    -----
    Each view is centered and its constant neurons dropped; with the SVD
    ``Xc = U S Vᵀ``, the reduced view is ``Xc V_k`` (equivalently
    ``U_k S_k``), keeping the ``k`` leading directions. The SVD is taken on
    the raw centered activations, not on standardized ones, as in the paper:
    it is not invariant to rescaling single neurons, only to orthogonal maps
    and to rescaling a whole view. The canonical correlations are those of
    :class:`CCA` between the two reduced views, and :meth:`score` averages
    the held-out correlations of the canonical pairs.

    References
    ----------
    .. [1] M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein, "SVCCA:
       Singular Vector Canonical Correlation Analysis for Deep Learning
       Dynamics and Interpretability", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import SVCCA
    >>> rng = np.random.RandomState(0)
    >>> latent = rng.normal(size=(1000, 3))
    >>> X = latent @ rng.normal(size=(3, 20)) + 0.3 * rng.normal(size=(1000, 20))
    >>> Y = latent @ rng.normal(size=(3, 30)) + 0.3 * rng.normal(size=(1000, 30))
    >>> svcca = SVCCA(svd_dims=0.9).fit(X, Y)
    >>> svcca.x_svd_dims_, svcca.y_svd_dims_
    (3, 3)
    >>> svcca.x_explained_variance_ratio_.round(3)
    array([0.468, 0.317, 0.188])
    >>> svcca.canonical_correlations_.round(3)
    array([0.997, 0.995, 0.994])

    Plain CCA of the same layers is dominated by the 17 + 27 noise
    directions:

    >>> from sklearn_svcca import CCA
    >>> round(CCA().fit(X, Y).similarity_, 3)
    0.282
    """

    _parameter_constraints: dict = {
        **_BaseCCA._parameter_constraints,
        "svd_dims": [_INT_DIMS, _FRACTION_DIMS, StrOptions({"mle"}), tuple, list],
    }

    def __init__(self, svd_dims=0.99, *, n_components=None, reg=0.0, solver="auto"):
        super().__init__(n_components, reg=reg, solver=solver)
        self.svd_dims = svd_dims

    def _svd_dims_pair(self):
        dims = self.svd_dims
        if isinstance(dims, (tuple, list)):
            if len(dims) != 2 or not all(_valid_dims(d) for d in dims):
                raise ValueError(
                    "svd_dims given as a pair must be (for_x, for_y), each an "
                    "int >= 1, a float in (0, 1] or 'mle'; got "
                    f"{dims!r}."
                )
            return tuple(dims)
        return dims, dims

    def _route_bases(self, moments, X, Y, *, shared=None):
        dims_x, dims_y = self._svd_dims_pair()
        columns, data = self._varying_columns(moments), (X, Y)

        def dims_of(bx, by, rank_of=lambda b: b.rank):
            return (
                _linalg.n_svd_dims(bx.spectrum, dims_x, rank_of(bx), moments.n_samples),
                _linalg.n_svd_dims(by.spectrum, dims_y, rank_of(by), moments.n_samples),
            )

        def possible_dims(bx, by):
            # The dimensions svd_dims would keep if every direction below the
            # Gram route's rank cut were real: the Gram route cannot tell a
            # small real direction from a dependency's rounding (one 1e-7 of
            # the largest in singular value, from a neuron 1e7 times smaller
            # than the others, is 1e-14 in eigenvalue), only the data can.
            return dims_of(bx, by, lambda b: b.spectrum.size)

        def kept(bx, by, kx, ky):
            return bx.truncate(kx).shrink(self.reg), by.truncate(ky).shrink(self.reg)

        # SVD of the raw activations (scale=False): SVCCA is not invariant
        # to rescaling single neurons.
        gram = needs_exact = None
        if self.solver != "qr":
            bx, by = self._view_bases(
                moments, columns, data, route="gram", scale=False, shared=shared
            )
            kx, ky = dims_of(bx, by)
            px, py = possible_dims(bx, by)

            def needs_exact():
                # Only the kept directions need to be accurate: the tail that
                # SVCCA discards may be as ill-conditioned as it likes.
                return bx.needs_exact_route(px) or by.needs_exact_route(py)

            # Unresolved directions matter only where svd_dims would keep them.
            gram = kept(
                replace(bx, unresolved=bx.unresolved if px > kx else 0),
                replace(by, unresolved=by.unresolved if py > ky else 0),
                kx,
                ky,
            )

        def qr_bases(rows):
            bx, by = self._view_bases(
                moments, columns, data, route="qr", scale=False, shared=shared
            )
            return kept(bx, by, *dims_of(bx, by))

        return gram, needs_exact, qr_bases

    def _basis_attributes(self, bx, by):
        # The bases are truncated to svd_dims. The spectra are on the host
        # (they drive svd_dims); the ratios join the other fitted arrays,
        # where the decompositions ran.
        return {
            "x_svd_dims_": bx.rank,
            "y_svd_dims_": by.rank,
            "x_explained_variance_ratio_": _array_api.from_numpy(
                bx.spectrum[: bx.rank] / bx.spectrum.sum(), like=bx.scale
            ),
            "y_explained_variance_ratio_": _array_api.from_numpy(
                by.spectrum[: by.rank] / by.spectrum.sum(), like=by.scale
            ),
        }


def _valid_dims(value):
    if isinstance(value, str):
        return value == "mle"
    if _validation.is_int(value):
        return value >= 1
    return _validation.is_real(value) and 0 < value <= 1
