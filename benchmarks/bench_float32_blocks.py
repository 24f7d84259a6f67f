"""Accuracy of blocked float32 products accumulated in float64 (issue 12).

For float32 input, each block of rows is centered in float32 and its Gram
products formed in float32 (at the float32 floor's speed), then the blocks
are accumulated in float64. This prints the largest deviation of the
resulting canonical correlations from a float64 QR reference, for blocks of
256, 2048 and 8192 rows, next to the estimators' float64 moments, on
benchmark-like data and (when present) the original tutorial's activations
in /work/shared/data. The 1e-8 target decides whether such blocking may be
the default for float32 input (docs/performance.rst: it does not hold).

    python benchmarks/bench_float32_blocks.py
"""

import sys
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_cca import make_views, qr_reference  # noqa: E402

from sklearn_svcca import CCA  # noqa: E402
from sklearn_svcca._linalg import Moments, compute_moments  # noqa: E402


def blocked32(X, Y, rows):
    mx = X.mean(axis=0, dtype=np.float64)
    my = Y.mean(axis=0, dtype=np.float64)
    p, q = X.shape[1], Y.shape[1]
    cxx = np.zeros((p, p))
    cyy = np.zeros((q, q))
    cxy = np.zeros((p, q))
    sx = np.zeros(p)
    sy = np.zeros(q)
    mx32, my32 = mx.astype(np.float32), my.astype(np.float32)
    for s in range(0, X.shape[0], rows):
        xb = X[s : s + rows] - mx32
        yb = Y[s : s + rows] - my32  # float32 centering
        sx += xb.sum(axis=0, dtype=np.float64)
        sy += yb.sum(axis=0, dtype=np.float64)
        cxx += xb.T @ xb
        cyy += yb.T @ yb
        cxy += xb.T @ yb
    n = X.shape[0]
    # residual relative to float32-rounded mean
    mx = mx32.astype(np.float64)
    my = my32.astype(np.float64)
    return Moments(
        n,
        mx + sx / n,
        my + sy / n,
        cxx - np.outer(sx, sx) / n,
        cyy - np.outer(sy, sy) / n,
        cxy - np.outer(sx, sy) / n,
    )


def rho(m, eps):
    est = CCA(solver="gram")
    est._input_eps = (eps, eps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est._fit_moments(m, None, None, warn=False)
    return est.canonical_correlations_


cases = []
for n, p in ((20000, 256), (50000, 512)):
    cases.append((f"bench-like {n}x{p}", *make_views(n, p, p, np.float32)))
try:
    d = np.load("/work/shared/data/svcca_tutorial_activations.npz")
    cases.append(
        (
            "svhn fc",
            d["svhn_model0_fc"].astype(np.float32),
            d["svhn_model1_fc"].astype(np.float32),
        )
    )
    cases.append(
        (
            "mnist logits",
            d["mnist_model0_logits"].astype(np.float32),
            d["mnist_model1_logits"].astype(np.float32),
        )
    )
except Exception as e:
    print("no tutorial data", e)
eps = np.finfo(np.float32).eps
with threadpool_limits(1):
    for name, X, Y in cases:
        ref = qr_reference(X, Y)
        r64 = rho(compute_moments(X, Y), eps)
        k = min(len(ref), len(r64))
        line = f"{name}: float64 moments {np.max(np.abs(r64[:k] - ref[:k])):.1e}"
        for rows in (256, 2048, 8192):
            r32 = rho(blocked32(X, Y, rows), eps)
            k = min(len(ref), len(r32))
            line += f" | f32 blocks of {rows}: {np.max(np.abs(r32[:k] - ref[:k])):.1e}"
        print(line, flush=True)
