"""The computations behind ``sklearn-svcca demo``.

Two small multi-layer perceptrons are trained with different seeds on
scikit-learn's bundled digits data (nothing is downloaded), and every hidden
layer of one is compared with every hidden layer of the other on the same
held-out images: in sample, on held-out folds, and against a random baseline.
The command-line plumbing is in :mod:`sklearn_svcca._cli`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_val_score

from ._views import canonical_correlations_of
from .exceptions import SparseActivationWarning

# The digits train/test split and the baseline's shuffle are fixed, so the
# demo prints the same table on every run.
_SPLIT_SEED = 0


@dataclass
class Network:
    """One trained network and its hidden activations on the test images."""

    seed: int
    accuracy: float
    layers: list  # (n_test, width) ReLU activations, one array per hidden layer


@dataclass
class LayerPair:
    """The similarity of layer ``layer_a`` of A and ``layer_b`` of B."""

    layer_a: int
    layer_b: int
    method: str
    in_sample: float
    held_out: float
    baseline: float
    # None for measures without canonical correlations (CKA).
    correlations: np.ndarray | None = field(repr=False)
    baseline_correlations: np.ndarray | None = field(repr=False)


@dataclass
class DemoResult:
    networks: list
    hidden_layer_sizes: tuple
    n_train: int
    n_test: int
    cv: int
    pairs: list

    @property
    def methods(self):
        return list(dict.fromkeys(p.method for p in self.pairs))


_ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh}


def hidden_activations(net, X):
    """Activations of every hidden layer of a fitted ``MLPClassifier``."""
    layers, h = [], X
    for W, b in zip(net.coefs_[:-1], net.intercepts_[:-1], strict=True):
        h = _ACTIVATIONS[net.activation](h @ W + b)
        layers.append(h)
    return layers


def train_networks(seeds, hidden_layer_sizes, *, max_iter, activation="relu"):
    """Train one MLP per seed on digits; return them and the split sizes."""
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=_SPLIT_SEED
    )
    networks = []
    for seed in seeds:
        net = MLPClassifier(
            hidden_layer_sizes,
            activation=activation,
            max_iter=max_iter,
            random_state=seed,
        )
        # A short --max-iter is a legitimate, faster demo; not converging
        # fully is expected then.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(X_train, y_train)
        networks.append(
            Network(
                seed=seed,
                accuracy=float(net.score(X_test, y_test)),
                layers=hidden_activations(net, X_test),
            )
        )
    return networks, X_train.shape[0], X_test.shape[0]


def held_out_scores(estimator, X, Y, n_splits, random_state=0):
    """``score`` on the test folds of a shuffled K-fold split.

    Shuffled because activation files are often ordered (by class, by
    dataset shard): contiguous folds would test on a different distribution.
    """
    folds = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return cross_val_score(clone(estimator), X, Y, cv=folds, error_score="raise")


def compare_layers(networks, estimators, *, cv):
    """Compare every hidden layer of the first network with every one of the
    second, with each estimator of the ``{name: estimator}`` dict."""
    net_a, net_b = networks
    n = net_a.layers[0].shape[0]
    # Shuffling one view's samples keeps each layer's own statistics (its
    # sparsity, dead units and spectrum) and destroys only the pairing: the
    # in-sample similarity that chance alone gives at this sample size.
    shuffle = np.random.RandomState(_SPLIT_SEED).permutation(n)
    pairs = []
    for i, a in enumerate(net_a.layers):
        for j, b in enumerate(net_b.layers):
            for name, estimator in estimators.items():
                fitted = clone(estimator).fit(a, b)
                baseline = clone(estimator).fit(a, b[shuffle])
                scores = held_out_scores(estimator, a, b, cv)
                pairs.append(
                    LayerPair(
                        layer_a=i,
                        layer_b=j,
                        method=name,
                        in_sample=fitted.similarity_,
                        held_out=float(scores.mean()),
                        baseline=baseline.similarity_,
                        correlations=canonical_correlations_of(fitted),
                        baseline_correlations=canonical_correlations_of(baseline),
                    )
                )
    return pairs


def run_demo(
    estimators,
    *,
    seeds=(0, 1),
    hidden_layer_sizes=(64, 64, 64),
    max_iter=200,
    cv=5,
):
    """Train both networks and compare all their layer pairs."""
    from threadpoolctl import threadpool_limits

    # Every matrix here is small (at most 1078 x 64): multi-threaded BLAS
    # costs more in synchronisation than it saves, by a factor of ten or more
    # on a busy 2-core machine. Results do not depend on it.
    with threadpool_limits(limits=1):
        networks, n_train, n_test = train_networks(
            seeds, hidden_layer_sizes, max_iter=max_iter
        )
        # The demo's ReLU layers do have units active on 1-3 of the 719 test
        # images, which SparseActivationWarning is about; the table's
        # held-out column is there to show their effect, so the demo does
        # not repeat the warning for every fit and fold.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SparseActivationWarning)
            pairs = compare_layers(networks, estimators, cv=cv)
    return DemoResult(
        networks=networks,
        hidden_layer_sizes=tuple(hidden_layer_sizes),
        n_train=n_train,
        n_test=n_test,
        cv=cv,
        pairs=pairs,
    )


def similarity_grid(result, method, value):
    """``value`` ("in_sample", "held_out", "baseline") as an (L_A, L_B) grid."""
    n_a = len(result.networks[0].layers)
    n_b = len(result.networks[1].layers)
    grid = np.full((n_a, n_b), np.nan)
    for p in result.pairs:
        if p.method == method:
            grid[p.layer_a, p.layer_b] = getattr(p, value)
    return grid


def plot_demo(result, figure):
    """Draw the demo's results on a matplotlib ``Figure``.

    Top row: held-out similarity of every layer pair, one heat map per
    method. Bottom row: canonical correlations of each layer of A with the
    same layer of B, against the shuffled baseline; for a measure without
    canonical correlations (CKA), its in-sample value and the baseline.
    """
    methods = result.methods
    n_layers = min(len(net.layers) for net in result.networks)
    axes = figure.subplots(2, len(methods), squeeze=False)
    for col, method in enumerate(methods):
        ax = axes[0, col]
        grid = similarity_grid(result, method, "held_out")
        image = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis")
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="w")
        ax.set_xticks(range(grid.shape[1]), [f"h{j + 1}" for j in range(grid.shape[1])])
        ax.set_yticks(range(grid.shape[0]), [f"h{i + 1}" for i in range(grid.shape[0])])
        ax.set_xlabel("layer of network B")
        ax.set_ylabel("layer of network A")
        ax.set_title(f"{method}: held-out similarity")

        ax = axes[1, col]
        same = [
            p
            for p in result.pairs
            if p.method == method and p.layer_a == p.layer_b < n_layers
        ]
        if same and same[0].correlations is None:
            x = np.arange(len(same))
            ax.bar(x - 0.2, [p.in_sample for p in same], 0.4, label="in-sample")
            ax.bar(x + 0.2, [p.baseline for p in same], 0.4, label="shuffled")
            ax.set_xticks(x, [f"h{p.layer_a + 1}" for p in same])
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("layer (A and B)")
            ax.set_ylabel(method)
            ax.set_title(f"{method}: same layer")
            ax.legend(loc="upper right", fontsize="small")
            continue
        for p in result.pairs:
            if p.method == method and p.layer_a == p.layer_b < n_layers:
                color = f"C{p.layer_a}"
                label = f"h{p.layer_a + 1}"
                ax.plot(p.correlations, color=color, label=label)
                ax.plot(p.baseline_correlations, color=color, linestyle=":")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("canonical pair (sorted)")
        ax.set_ylabel("canonical correlation")
        ax.set_title(f"{method}: same layer (dotted: shuffled)")
        ax.legend(loc="upper right", fontsize="small")
    figure.colorbar(image, ax=axes[0, :].tolist(), shrink=0.8)
    return figure
