"""Accuracy and cost at the edges: float32 accumulation, conditioning, p > n.

Prints the figures quoted in ``docs/performance.rst``:

1. float32 activations: canonical correlations when the Gram products are
   accumulated in float32 versus float64 (what the estimators do), against
   a QR reference on the same float32 numbers;
2. conditioning: error of the Gram and QR routes, and which route
   ``solver="auto"`` takes, as the condition number of a view grows;
3. more neurons than samples (p > n);
4. the ``(p + q)``-sized decompositions alone (from the moments), which is
   what runs on the host when the data live on a GPU;
5. the reliability passes of an in-memory fit (the magnitude scan that
   decides whether a view needs scaling, and the fourth-power pass of the
   sparse-activation check), as fractions of ``CCA.fit`` in the same run.

::

    python benchmarks/bench_edges.py [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn_svcca import CCA
from sklearn_svcca._linalg import Moments, compute_moments


def qr_reference(X, Y):
    Xc = X - X.mean(axis=0, dtype=np.float64)
    Yc = Y - Y.mean(axis=0, dtype=np.float64)
    qx = scipy.linalg.qr(Xc, mode="economic")[0]
    qy = scipy.linalg.qr(Yc, mode="economic")[0]
    return scipy.linalg.svd(qx.T @ qy, compute_uv=False)


def median_time(fn, *args, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def relu_views(n, p, q, seed=0):
    """Activations of two ReLU layers reading the same inputs (float32)."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, 64))
    X = np.maximum(Z @ rng.standard_normal((64, p)) + 0.5, 0)
    Y = np.maximum(
        np.tanh(Z @ rng.standard_normal((64, 96))) @ rng.standard_normal((96, q))
        + 0.2 * rng.standard_normal((n, q)),
        0,
    )
    return X.astype(np.float32), Y.astype(np.float32)


def float32_moments(X, Y, *, center=True):
    """Moments with the products accumulated in float32 (what we avoid).

    ``center=True`` centers in float32 first; ``center=False`` forms raw
    float32 sums of products and removes ``n μ μᵀ`` afterwards (in float64),
    the textbook one-pass formula.
    """
    n = X.shape[0]
    xm, ym = X.mean(axis=0, dtype=np.float64), Y.mean(axis=0, dtype=np.float64)
    if center:
        Xc, Yc = X - xm.astype(X.dtype), Y - ym.astype(Y.dtype)
        cxx, cyy, cxy = Xc.T @ Xc, Yc.T @ Yc, Xc.T @ Yc
        return Moments(n, xm, ym, *(a.astype(np.float64) for a in (cxx, cyy, cxy)))
    cxx, cyy, cxy = (a.astype(np.float64) for a in (X.T @ X, Y.T @ Y, X.T @ Y))
    return Moments(
        n,
        xm,
        ym,
        cxx - n * np.outer(xm, xm),
        cyy - n * np.outer(ym, ym),
        cxy - n * np.outer(xm, ym),
    )


def _activations():
    """Synthetic ReLU layers, plus the original tutorial's when available."""
    cases = [("synthetic ReLU layers, 20000 x 256 vs 256", relu_views(20000, 256, 256))]
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    path = path / "svcca_tutorial_activations.npz"
    if path.exists():
        with np.load(path) as data:
            for name, a, b in (
                (
                    "tutorial SVHN fc, 1000 x 200 vs 200",
                    "svhn_model0_fc",
                    "svhn_model1_fc",
                ),
                (
                    "tutorial MNIST logits, 10000 x 10 vs 10",
                    "mnist_model0_logits",
                    "mnist_model1_logits",
                ),
            ):
                cases.append(
                    (name, (data[a].astype(np.float32), data[b].astype(np.float32)))
                )
    return cases


def accumulation():
    print("\n## 1. float32 activations: max |dρ| against a float64 QR reference")
    variants = (
        ("float64 (estimators)", compute_moments),
        ("float32, centered", float32_moments),
        ("float32, raw sums", partial(float32_moments, center=False)),
    )
    print(f"  {'data':<42}" + "".join(f"{name:>22}" for name, _ in variants))
    for label, (X, Y) in _activations():
        ref = qr_reference(X, Y)
        errs = []
        for _, moments_of in variants:
            est = CCA(solver="gram")
            # A fit from given moments: state the data's precision, as fit
            # does from the arrays it is given.
            est._input_eps = est._input_precision(X, Y)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est._fit_moments(moments_of(X, Y), None, None, warn=False)
            errs.append(_err(est, ref))
        print(f"  {label:<42}" + "".join(f"{e:>22.1e}" for e in errs))


def conditioned_views(n, p, cond, seed=1):
    rng = np.random.default_rng(seed)
    U = scipy.linalg.qr(rng.standard_normal((n, p)), mode="economic")[0]
    V = scipy.linalg.qr(rng.standard_normal((p, p)))[0]
    s = np.logspace(0, -np.log10(cond), p)
    X = (U * s) @ V.T * np.sqrt(n)
    Y = X @ rng.standard_normal((p, p // 2)) + 0.5 * rng.standard_normal((n, p // 2))
    return X, Y


def _err(est, ref):
    rho = est.canonical_correlations_
    k = min(rho.size, ref.size)
    return np.max(np.abs(rho[:k] - ref[:k]))


def conditioning(n=20000, p=64):
    print(f"\n## 2. conditioning ({n} x {p} vs {n} x {p // 2}, float64)")
    print(
        f"  {'cond(X)':>8} {'Gram err':>10} {'QR err':>10} {'auto':>6} "
        f"{'Gram s':>8} {'QR s':>8}"
    )
    for cond in (1e2, 1e3, 1e4, 1e5, 1e6, 1e7):
        X, Y = conditioned_views(n, p, cond)
        ref = qr_reference(X, Y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gram = CCA(solver="gram").fit(X, Y)
            auto = CCA().fit(X, Y)
            t_gram = median_time(CCA(solver="gram").fit, X, Y)
        qr = CCA(solver="qr").fit(X, Y)
        t_qr = median_time(CCA(solver="qr").fit, X, Y)
        print(
            f"  {cond:>8.0e} {_err(gram, ref):>10.1e} {_err(qr, ref):>10.1e} "
            f"{auto.solver_:>6} {t_gram:>8.3f} {t_qr:>8.3f}"
        )


def wide(n=1000, p=2000, q=2000):
    print(f"\n## 3. more neurons than samples ({n} x {p} vs {n} x {q})")
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, p)).astype(np.float32)
    Y = (X[:, :q] + rng.standard_normal((n, q))).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = CCA().fit(X, Y)
    t = median_time(CCA().fit, X, Y, repeat=1)
    print(
        f"  route {est.solver_}, ranks {est.x_rank_}/{est.y_rank_}, "
        f"{est.n_components_} components, all ≈ 1: "
        f"{bool(np.allclose(est.canonical_correlations_, 1))}; fit {t:.2f} s"
    )
    for w in caught:
        print(f"  warning: {w.category.__name__}: {str(w.message)[:90]}...")


def host_decompositions(sizes=(512, 1024, 2048)):
    print("\n## 4. decompositions alone, from the moments (the host part)")
    rng = np.random.default_rng(3)
    for p in sizes:
        n = 2 * p + 100  # their cost does not depend on n
        X = rng.standard_normal((n, p))
        Y = X[:, : p // 2] @ rng.standard_normal((p // 2, p)) + rng.standard_normal(
            (n, p)
        )
        moments = compute_moments(X, Y)
        del X, Y
        t = median_time(
            partial(CCA()._fit_moments, warn=False), moments, None, None, repeat=1
        )
        print(f"  p = q = {p:>5}: {t:.2f} s")


def reliability_passes(n=20000, p=512):
    from sklearn_svcca._base import _safe_exponent
    from sklearn_svcca._linalg import effective_samples

    print(f"\n## 5. reliability passes of an in-memory fit ({n} x {p}, float32)")
    X, Y = relu_views(n, p, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = median_time(lambda: CCA().fit(X, Y))
    ones = np.ones(p)
    scan = median_time(lambda: (_safe_exponent(X), _safe_exponent(Y)))
    fourth = median_time(
        lambda: [
            effective_samples(A, A.mean(axis=0, dtype=np.float64), ones) for A in (X, Y)
        ]
    )
    print(f"  CCA.fit {fit:.3f} s (includes both passes)")
    print(f"  magnitude scan   {scan:.3f} s = {scan / fit:.1%} of the fit")
    print(f"  fourth powers    {fourth:.3f} s = {fourth / fit:.1%} of the fit")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-host", action="store_true")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=args.threads):
        print(f"# edges (BLAS threads: {args.threads})")
        accumulation()
        conditioning()
        wide()
        if not args.skip_host:
            host_decompositions()
        reliability_passes()


if __name__ == "__main__":
    main()
