"""CKA and Procrustes beside CCA, and RBF CKA against Kornblith's code.

Two parts, each in one process with the BLAS thread count pinned:

1. On the shapes of ``bench_cca.py`` (same data generator), round-robin
   timings of ``CCA``, linear ``CKA`` (plain and debiased) and
   ``Procrustes`` (``alpha=1``, no decomposition, and ``alpha=0.5``, one
   eigendecomposition per view), with each time's ratio to CCA's taken
   within the same round (median over rounds). Target: linear CKA and
   Procrustes within 1.2x of CCA.
2. RBF CKA at ``n = 5000`` against a faithful copy of Kornblith et al.'s
   reference code (``gram_rbf``, ``center_gram``, ``cka``), timing both and
   printing their difference.

Examples
--------
::

    python benchmarks/bench_measures.py --quick     # 10000 x 500 and n=5000
    python benchmarks/bench_measures.py             # bench_cca's full shapes
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cca import FULL_SHAPES, QUICK_SHAPES, environment, make_views, parse_shape

from sklearn_svcca import CCA, CKA, Procrustes

METHODS = {
    "CCA": CCA,
    "CKA linear": CKA,
    "CKA debiased": lambda: CKA(debiased=True),
    "Procrustes alpha=1": Procrustes,
    "Procrustes alpha=0.5": lambda: Procrustes(alpha=0.5),
}
TARGET = 1.2


# ------------------------------------------- Kornblith et al.'s reference


def kornblith_gram_rbf(x, threshold=1.0):
    dot_products = x.dot(x.T)
    sq_norms = np.diag(dot_products)
    sq_distances = -2 * dot_products + sq_norms[:, None] + sq_norms[None, :]
    sq_median_distance = np.median(sq_distances)
    return np.exp(-sq_distances / (2 * threshold**2 * sq_median_distance))


def kornblith_center_gram(gram):
    gram = gram.copy()
    means = np.mean(gram, 0, dtype=np.float64)
    means -= np.mean(means) / 2
    gram -= means[:, None]
    gram -= means[None, :]
    return gram


def kornblith_cka(gram_x, gram_y):
    gram_x = kornblith_center_gram(gram_x)
    gram_y = kornblith_center_gram(gram_y)
    scaled_hsic = gram_x.ravel().dot(gram_y.ravel())
    return scaled_hsic / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def kornblith_rbf_cka(X, Y, threshold=1.0):
    return kornblith_cka(
        kornblith_gram_rbf(X, threshold), kornblith_gram_rbf(Y, threshold)
    )


# ------------------------------------------------------------------ runs


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_linear(n, p, q, repeat):
    X, Y = make_views(n, p, q, np.float32)
    times = {name: [] for name in METHODS}
    ratios = {name: [] for name in METHODS}
    for _ in range(repeat):
        this_round = {}
        for name, make in METHODS.items():
            t, _ = timed(lambda make=make: make().fit(X, Y))
            this_round[name] = t
            times[name].append(t)
        for name in METHODS:
            ratios[name].append(this_round[name] / this_round["CCA"])
    print(f"\n{n} x {p} x {q} float32, {repeat} rounds (median s, ratio to CCA)")
    for name in METHODS:
        ratio = statistics.median(ratios[name])
        verdict = "" if name == "CCA" else ("PASS" if ratio <= TARGET else "MISS")
        print(
            f"  {name:<22}{statistics.median(times[name]):8.3f} s"
            f"{ratio:8.2f}x  {verdict}"
        )


def bench_rbf(n, p, repeat):
    X, Y = make_views(n, p, p, np.float64, seed=1)
    Y = np.tanh(Y)
    ours, ref = [], []
    for _ in range(repeat):
        t, a = timed(lambda: CKA(kernel="rbf").fit(X, Y).similarity_)
        ours.append(t)
        t, b = timed(lambda: kornblith_rbf_cka(X, Y))
        ref.append(t)
    print(f"\nRBF CKA, {n} x {p} float64, {repeat} rounds")
    print(f"  CKA(kernel='rbf')     {statistics.median(ours):8.3f} s")
    print(f"  Kornblith reference   {statistics.median(ref):8.3f} s")
    ratio = statistics.median(ours) / statistics.median(ref)
    print(f"  ratio                 {ratio:8.2f}x")
    print(f"  |difference|          {abs(a - b):.1e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", type=parse_shape, default=None)
    parser.add_argument("--quick", action="store_true", help="10000 x 500 only")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rbf-samples", type=int, default=5000)
    args = parser.parse_args(argv)
    shapes = args.shapes or [
        parse_shape(s) for s in (QUICK_SHAPES if args.quick else FULL_SHAPES)
    ]
    with threadpool_limits(limits=args.threads):
        print(environment(args.threads))
        for n, p, q in shapes:
            bench_linear(n, p, q, args.repeat)
        bench_rbf(args.rbf_samples, 100, max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
