"""Shared decompositions versus refitting every pair.

Times, in the same run and with the BLAS thread count pinned,

- ``similarity_matrix(layers)`` against fitting ``clone(estimator)`` on every
  ordered pair of layers (what a user writes by hand),
- ``similarity_matrix(layers, cv=5)`` against a loop over
  ``cross_val_score`` for every ordered pair (the held-out matrix by hand),
  and
- ``similarity_baseline(..., null="permutation")`` against refitting on each
  permuted copy of the data,

and prints the ratios. Usage::

    python benchmarks/bench_analysis.py [--threads 1] [--repeat 3] [--quick]
"""

import argparse
import time

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_val_score
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_svcca import CCA, PWCCA, SVCCA, similarity_matrix
from sklearn_svcca.stats import similarity_baseline


def relu_layers(n_layers, n_samples, width, seed=0, *, duplicated=0):
    """Random ReLU layers; ``duplicated`` neurons copy others (QR route)."""
    rng = np.random.RandomState(seed)
    h = rng.normal(size=(n_samples, width))
    layers = []
    for _ in range(n_layers):
        h = np.maximum(h @ rng.normal(size=(width, width)) / np.sqrt(width), 0.0)
        layer = h.astype(np.float32)
        if duplicated:
            layer[:, -duplicated:] = layer[:, :duplicated]
        layers.append(layer)
    return layers


def best_of(repeat, func):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    n_layers, n_samples, width, n_resamples = (
        (4, 2000, 64, 20) if args.quick else (6, 5000, 256, 50)
    )
    layers = relu_layers(n_layers, n_samples, width)
    rank_deficient = relu_layers(n_layers, n_samples, width, duplicated=width // 8)

    with threadpool_limits(args.threads):
        blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
        print(f"BLAS threads: {blas}")
        print(
            f"{n_layers} layers of {n_samples} x {width} float32; "
            f"best of {args.repeat}\n"
        )
        print(f"{'similarity_matrix':<28}{'shared':>9}{'refit':>9}{'ratio':>8}")
        cases = [
            (repr(est), est, layers) for est in (CCA(), SVCCA(svd_dims=0.99), PWCCA())
        ]
        # Duplicated neurons send solver="auto" to the exact QR route.
        cases.append(("CCA(), QR route", CCA(), rank_deficient))
        for name, est, data in cases:
            shared = best_of(
                args.repeat,
                lambda est=est, data=data: similarity_matrix(data, estimator=est),
            )
            refit = best_of(
                args.repeat,
                lambda est=est, data=data: [
                    [clone(est).fit(a, b).similarity_ for b in data] for a in data
                ],
            )
            print(f"{name:<28}{shared:>8.3f}s{refit:>8.3f}s{refit / shared:>7.1f}x")

        print(f"\n{'held-out matrix':<28}{'shared':>9}{'loop':>9}{'ratio':>8}")
        cv = KFold(5, shuffle=True, random_state=0)
        for est in (CCA(), SVCCA(svd_dims=0.99), PWCCA()):
            shared = best_of(
                args.repeat,
                lambda est=est: similarity_matrix(layers, estimator=est, cv=cv),
            )
            loop = best_of(
                args.repeat,
                lambda est=est: [
                    [cross_val_score(est, a, b, cv=cv).mean() for b in layers]
                    for a in layers
                ],
            )
            print(f"{est!r:<28}{shared:>8.3f}s{loop:>8.3f}s{loop / shared:>7.1f}x")

        X, Y = layers[0], layers[-1]
        print(f"\n{'permutation baseline':<28}{'shared':>9}{'refit':>9}{'ratio':>8}")
        seeds = np.random.RandomState(0).randint(2**31 - 1, size=n_resamples)
        for est in (CCA(), PWCCA()):
            shared = best_of(
                args.repeat,
                lambda est=est: similarity_baseline(
                    est, X, Y, n_resamples=n_resamples, random_state=0
                ),
            )
            refit = best_of(
                args.repeat,
                lambda est=est: [
                    clone(est)
                    .fit(X, Y[np.random.RandomState(s).permutation(n_samples)])
                    .similarity_
                    for s in seeds
                ],
            )
            print(f"{est!r:<28}{shared:>8.3f}s{refit:>8.3f}s{refit / shared:>7.1f}x")


if __name__ == "__main__":
    main()
