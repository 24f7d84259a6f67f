"""``score`` on held-out data against its floor: centering and projecting.

``score`` centers both views in float64 and projects them onto the fitted
weights (``(X - x̄) A``, ``(Y - ȳ) B``); everything else (the per-pair sums,
PWCCA's cross sums ``Xcᵀ U``) is of lower or equal order. This fits each
estimator on ``--n`` samples of two views of ``--width`` neurons, then times
``score`` on as many held-out samples against that floor, timed right
before each call (median of ``--repeats`` ratios, so a loaded machine slows
both alike).

Examples
--------
::

    python benchmarks/bench_score.py                  # 10000 x 500, 2 threads
    python benchmarks/bench_score.py --n 20000 --width 1000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn_svcca import CCA, PWCCA


def make_views(n, p, seed):
    rng = np.random.default_rng(seed)
    d = max(1, p // 4)
    Z = rng.standard_normal((n, d))
    X = Z @ rng.standard_normal((d, p)) + rng.standard_normal((n, p))
    Y = Z @ rng.standard_normal((d, p)) + rng.standard_normal((n, p))
    return X, Y


def floor(X, Y, A, B):
    Xc = X.astype(np.float64)
    Xc -= Xc.mean(axis=0)
    Yc = Y.astype(np.float64)
    Yc -= Yc.mean(axis=0)
    return Xc @ A, Yc @ B


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--width", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    X, Y = make_views(args.n, args.width, 0)
    Xh, Yh = make_views(args.n, args.width, 1)
    print(
        f"score on {args.n} x {args.width} + {args.width} held-out samples, "
        f"{args.threads} thread(s); ratio = median over {args.repeats} calls"
    )
    with threadpool_limits(args.threads):
        for make in (CCA, PWCCA):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = make().fit(X, Y)
            times, ratios = [], []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                floor(Xh, Yh, est.x_weights_, est.y_weights_)
                t1 = time.perf_counter()
                est.score(Xh, Yh)
                t2 = time.perf_counter()
                times.append(t2 - t1)
                ratios.append((t2 - t1) / (t1 - t0))
            print(
                f"{make.__name__:6s} score {statistics.median(times):.3f} s  "
                f"{statistics.median(ratios):.2f}x the floor"
            )


if __name__ == "__main__":
    main()
