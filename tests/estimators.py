"""What each measure is expected to do, written as data, in one place.

The cross-cutting suites (validation, streaming, invariances, Array API,
Dask) are parametrized over ``CASES``: one entry per configuration worth
checking, with the expectations that differ between measures (has a
``transform``? a ``solver_``? how many samples does ``score`` need? what
does the constant-input message call a column?). A suite that checks a
property which holds only for some measures selects them here by a field,
never by weakening the check for the others.
"""

from dataclasses import dataclass, field

from sklearn.base import clone

from sklearn_svcca import CCA, CKA, PWCCA, SVCCA, FourierCCA, Procrustes

import synthetic


@dataclass(frozen=True)
class Case:
    """One configuration of one measure and what it is expected to do."""

    estimator: object
    #: "cca" for the CCA family (canonical_correlations_, solver_, the
    #: Gram/QR routes), "measure" for CKA and Procrustes.
    family: str = "cca"
    #: FourierCCA: its natural input is conv maps (2-D input is 1x1 maps).
    maps: bool = False
    #: Has ``transform`` (CKA learns no map).
    transform: bool = True
    #: Fewest samples ``score`` accepts (Procrustes centres held-out data
    #: with the training means, so one sample is enough).
    min_score_samples: int = 2
    #: Fewest samples ``fit`` solves with (debiased CKA divides by n (n - 3)).
    min_fit_samples: int = 2
    #: Regex for how the constant-input message names a view's columns,
    #: given their count ``{m}`` and the view's width.
    constant_columns: str = r"all {m} of its features"
    #: The theorems of test_invariances that hold for this measure.
    invariances: frozenset = field(default_factory=frozenset)

    def make(self):
        return clone(self.estimator)

    @property
    def name(self):
        return repr(self.estimator)

    def data(self, seed, n, p=None, q=None, **kwargs):
        """Views (or conv maps) of ``n`` samples for this measure.

        ``p`` and ``q`` default to 5 and 4 features. For FourierCCA they are
        the channels (default 3 and 2) of 3x5 and 4x7 maps
        (different, non-square maps; never with equal last axes, which read
        as an ambiguous layout).
        """
        if self.maps:
            kwargs.pop("latent", None)
            kwargs.pop("rank_deficient", None)
            p, q = p or 3, q or 2
            assert p not in (5, 7) and q not in (5, 7)
            return synthetic.maps(seed, n, (3, 5, p), (4, 7, q), **kwargs)
        return synthetic.views(seed, n, p or 5, q or 4, **kwargs)


# Theorems (see test_invariances.py for their statements).
CCA_THEOREMS = frozenset(
    {
        "affine",  # invertible affine maps of either view
        "orthogonal",  # orthogonal maps, isotropic scaling and translation
        "symmetric",  # swapping the views
        "permutation",  # a common permutation of the samples
        "duplication",  # every sample repeated
        "unit_interval",  # similarity in [0, 1]
        "self_map",  # a view against an invertible map of itself gives 1
        "dead_neurons",  # dead and duplicated neurons add nothing
        "score_is_similarity",  # score on the training data
    }
)

CASES = [
    Case(CCA()),
    Case(
        SVCCA(svd_dims=3),
        invariances=CCA_THEOREMS - {"affine", "dead_neurons", "self_map"}
        | {"dead_only"},
    ),
    Case(
        PWCCA(),
        invariances=frozenset(
            {
                "y_affine",
                "permutation",
                "duplication",
                "unit_interval",
                "self_map",
                "dead_only",
                "score_is_similarity",
            }
        ),
    ),
    Case(
        FourierCCA(),
        maps=True,
        constant_columns=r"all {m} of its values \(maps of shape",
        invariances=frozenset(
            {
                "channel_affine",
                "symmetric",
                "permutation",
                "duplication",
                "unit_interval",
                "score_is_similarity",
            }
        ),
    ),
    Case(
        CKA(),
        family="measure",
        transform=False,
        invariances=frozenset(
            {
                "orthogonal",
                "symmetric",
                "permutation",
                "duplication",
                "unit_interval",
                "dead_only",
                "score_is_similarity",
            }
        ),
    ),
    Case(
        CKA(debiased=True),
        family="measure",
        transform=False,
        min_score_samples=4,
        min_fit_samples=4,
        invariances=frozenset(
            {
                "orthogonal",
                "symmetric",
                "permutation",
                "dead_only",
                "score_is_similarity",
            }
        ),
    ),
    Case(
        CKA(kernel="rbf"),
        family="measure",
        transform=False,
        invariances=frozenset(
            {
                "orthogonal",
                "symmetric",
                "permutation",
                "unit_interval",
                "dead_only",
                "score_is_similarity",
            }
        ),
    ),
    Case(
        Procrustes(),
        family="measure",
        min_score_samples=1,
        invariances=frozenset(
            {
                "orthogonal",
                "symmetric",
                "permutation",
                "duplication",
                "unit_interval",
                "dead_only",
                "score_is_similarity",
            }
        ),
    ),
    Case(
        Procrustes(alpha=0.0),
        family="measure",
        min_score_samples=1,
        invariances=frozenset(
            {
                "affine",
                "orthogonal",
                "symmetric",
                "permutation",
                "duplication",
                "unit_interval",
                "dead_only",
                "score_is_similarity",
            }
        ),
    ),
]


def cases(**where):
    """The cases whose fields equal ``where`` (e.g. ``transform=True``)."""
    return [c for c in CASES if all(getattr(c, k) == v for k, v in where.items())]


def with_invariance(name):
    return [c for c in CASES if name in c.invariances]


def ids(case):
    return case.name
