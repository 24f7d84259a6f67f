"""Kornblith et al.'s layer-identification check (their Table 2), every measure.

Several identical multi-layer perceptrons (six tanh hidden layers of 64
units by default) are trained from different seeds on scikit-learn's digits
(offline), and their hidden activations recorded on the 719 held-out images.
For every ordered pair of networks and every layer of the first, each
measure picks the most similar layer of the second; the table gives the
fraction of layers matched to their own counterpart, and the time each
measure took for all the layers (one :func:`similarity_matrix` call of all
networks' layers, which computes each layer's statistics once).

Examples
--------
::

    python benchmarks/bench_layer_identification.py              # 5 seeds
    python benchmarks/bench_layer_identification.py --seeds 10 --depth 8
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn_svcca import CCA, CKA, PWCCA, SVCCA, Procrustes, similarity_matrix
from sklearn_svcca._demo import train_networks

MEASURES = {
    "CCA (mean ρ)": CCA(),
    "SVCCA (0.99)": SVCCA(),
    "PWCCA": PWCCA(),
    "CKA linear": CKA(),
    "CKA linear, debiased": CKA(debiased=True),
    "CKA RBF 0.2": CKA(kernel="rbf", bandwidth=0.2),
    "CKA RBF 0.4": CKA(kernel="rbf", bandwidth=0.4),
    "CKA RBF 0.8": CKA(kernel="rbf", bandwidth=0.8),
    "Procrustes": Procrustes(),
    "Procrustes alpha=0.5": Procrustes(alpha=0.5),
}


def identification_accuracy(similarities, n_nets, depth):
    """Fraction of (pair of nets, layer) whose best match is the same layer."""
    hits = []
    for a in range(n_nets):
        for b in range(n_nets):
            if a != b:
                block = similarities[
                    a * depth : (a + 1) * depth, b * depth : (b + 1) * depth
                ]
                hits.extend(np.argmax(block, axis=1) == np.arange(depth))
    return float(np.mean(hits)), len(hits)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--activation", default="tanh", choices=["tanh", "relu"])
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    with threadpool_limits(limits=args.threads):
        t0 = time.perf_counter()
        networks, _, n_test = train_networks(
            tuple(range(args.seeds)),
            (args.width,) * args.depth,
            max_iter=args.max_iter,
            activation=args.activation,
        )
        print(
            f"{args.seeds} networks, {args.depth} x {args.width} {args.activation}, "
            f"test accuracy {min(n.accuracy for n in networks):.3f}-"
            f"{max(n.accuracy for n in networks):.3f}, {n_test} test images, "
            f"trained in {time.perf_counter() - t0:.0f} s"
        )
        layers = {
            f"net{k}/h{i + 1}": a
            for k, net in enumerate(networks)
            for i, a in enumerate(net.layers)
        }
        print(f"\n{'measure':<24}{'identified':>12}{'time (s)':>10}")
        for name, estimator in MEASURES.items():
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                sims = similarity_matrix(layers, estimator=estimator).similarities
            elapsed = time.perf_counter() - t0
            acc, count = identification_accuracy(sims, args.seeds, args.depth)
            print(f"{name:<24}{acc:>11.1%} {elapsed:>9.1f}")
        print(f"\n({count} layer identifications per measure)")


if __name__ == "__main__":
    main()
