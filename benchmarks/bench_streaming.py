"""Streaming: the cost of one ``partial_fit`` call against its batch's floor.

``partial_fit`` only accumulates (the decompositions run once, on first use
of a result), so a call should cost about what its batch's three Gram
products cost: ``XᵀX``, ``YᵀY`` and ``XᵀY`` of the batch, in float64 (the
arithmetic the moments accumulate in). This streams ``--batches`` batches of
``--batch`` samples of two views of ``--width`` neurons each through every
estimator and prints, per estimator, the median time of one call, its ratio
to the floor (median of per-call ratios, each floor timed right before its
call, so that a loaded machine slows both alike), the one-time solve on
first use, and the whole stream against one ``fit`` on the same samples.
The target is at most 1.5x the floor for ``CCA``.

Examples
--------
::

    python benchmarks/bench_streaming.py                 # 1024 + 1024, batches of 256
    python benchmarks/bench_streaming.py --width 2048 --threads 2
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

from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA

TARGET = 1.5


def make_views(n, p, dtype, seed=0):
    rng = np.random.default_rng(seed)
    d = max(1, p // 4)
    Z = rng.standard_normal((n, d))
    X = Z @ rng.standard_normal((d, p)) + rng.standard_normal((n, p))
    Y = Z @ rng.standard_normal((d, p)) + rng.standard_normal((n, p))
    return X.astype(dtype), Y.astype(dtype)


def gram_products(X, Y):
    X = X.astype(np.float64, copy=False)
    Y = Y.astype(np.float64, copy=False)
    X.T @ X
    Y.T @ Y
    X.T @ Y


def bench(make, X, Y, batch):
    est = make()
    calls, ratios = [], []
    for start in range(0, X.shape[0], batch):
        xb, yb = X[start : start + batch], Y[start : start + batch]
        t0 = time.perf_counter()
        gram_products(xb, yb)
        t1 = time.perf_counter()
        est.partial_fit(xb, yb)
        t2 = time.perf_counter()
        calls.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        streamed = est.canonical_correlations_
    solve = time.perf_counter() - t0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = make().fit(X, Y)
    fit = time.perf_counter() - t0
    # Skip the first call: it has nothing to merge with.
    return {
        "call_s": statistics.median(calls[1:]),
        "x_floor": statistics.median(ratios[1:]),
        "solve_s": solve,
        "stream_s": sum(calls) + solve,
        "fit_s": fit,
        "max_abs_diff": float(np.max(np.abs(streamed - ref.canonical_correlations_))),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1024, help="neurons per view")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--batches", type=int, default=24)
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads")
    args = parser.parse_args(argv)
    estimators = {
        "CCA": CCA,
        "SVCCA (0.99)": SVCCA,
        "PWCCA": PWCCA,
        "FourierCCA": FourierCCA,
    }
    with threadpool_limits(limits=args.threads):
        print(
            f"# partial_fit per call, {args.width} + {args.width} units, batches "
            f"of {args.batch} ({args.batches} batches), {args.threads} BLAS threads"
        )
        for dtype in args.dtypes:
            X, Y = make_views(args.batch * args.batches, args.width, dtype)
            print(f"\n### {dtype} input")
            print(
                f"{'estimator':<14}{'call s':>9}{'x floor':>9}{'solve s':>9}"
                f"{'stream s':>10}{'fit s':>8}{'max|dρ|':>10}"
            )
            for name, make in estimators.items():
                r = bench(make, X, Y, args.batch)
                print(
                    f"{name:<14}{r['call_s']:>9.4f}{r['x_floor']:>9.2f}"
                    f"{r['solve_s']:>9.3f}{r['stream_s']:>10.3f}{r['fit_s']:>8.3f}"
                    f"{r['max_abs_diff']:>10.1e}"
                )
                if name == "CCA":
                    cca = r["x_floor"]
            print(
                f"  target: CCA partial_fit call <= {TARGET}x the batch's float64 "
                f"Gram products {cca:>6.2f}  {'PASS' if cca <= TARGET else 'MISS'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
