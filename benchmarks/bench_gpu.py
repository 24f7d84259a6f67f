"""CCA on a GPU through the Array API: 100000 x 2048 vs 100000 x 2048 float32.

Run on a machine with a CUDA GPU and PyTorch (or CuPy) installed::

    python benchmarks/bench_gpu.py                      # torch, cuda, defaults
    python benchmarks/bench_gpu.py --backend cupy
    python benchmarks/bench_gpu.py --n 20000 --p 512    # a smaller case
    python benchmarks/bench_gpu.py --device cpu --n 20000 --p 256   # smoke test

It times, with ``sklearn.set_config(array_api_dispatch=True)`` and the data
generated on the device:

- the floor on the device: ``XᵀX``, ``YᵀY``, ``XᵀY`` in float32 and in
  float64 (the estimators accumulate in float64 where the device has it);
- the moments alone (they stay on the device, in float64);
- ``CCA``, ``SVCCA`` and ``PWCCA`` fits (all components), whose
  ``(p + q)``-sized decompositions run on the device too (the namespace's
  ``linalg``, float64), only per-column numbers reaching the host;
- the decompositions alone, from the device's moments (the device solve);
- ``transform`` of the data (on the device);
- the same data in NumPy on the host's cores (``--cpu-threads``, default
  all): the host's float64 floor (the three products on float64 copies
  made beforehand, the arithmetic the estimators accumulate in), its
  float32 floor and ``CCA.fit``, so that the GPU's speed-up and the host's
  own ratio to its floor come from one run (``--skip-cpu`` skips it);
- ``FourierCCA.fit`` on ``--fourier-shape`` maps (default 4000 x 16 x 16 x
  128, float32) on the device, where its per-frequency moments and their
  stacked decompositions both run, next to its moments alone, and on the
  host's cores (``--skip-fourier``);

and checks the canonical correlations against an independent QR reference
computed on the device in float64 (``--no-check`` skips it). Host BLAS
threads are left at their default (all cores) since the host part is
the rank cut and a few vectors; ``--host-threads`` pins them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# scikit-learn's Array API dispatch needs SciPy's, read at SciPy's import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import sklearn
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA
from sklearn_svcca._fourier import frequency_grid, spectral_moments
from sklearn_svcca._linalg import compute_moments


def backend(name, device):
    if name == "torch":
        import torch
        from sklearn.externals.array_api_compat import torch as xp

        def sync():
            if device.startswith("cuda"):
                torch.cuda.synchronize()

        def normal(shape, seed):
            g = torch.Generator(device=device).manual_seed(seed)
            return torch.randn(shape, generator=g, device=device, dtype=torch.float32)

        info = f"torch {torch.__version__}"
        if device.startswith("cuda"):
            info += f", CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}"
        return xp, device, sync, normal, info
    if name == "cupy":
        import cupy
        from sklearn.externals.array_api_compat import cupy as xp

        def sync():
            cupy.cuda.Device().synchronize()

        def normal(shape, seed):
            return cupy.random.default_rng(seed).standard_normal(
                shape, dtype=cupy.float32
            )

        props = cupy.cuda.runtime.getDeviceProperties(0)
        return xp, None, sync, normal, f"cupy {cupy.__version__}, {props['name']}"
    raise ValueError(name)


def views(normal, xp, n, p, q, latent):
    Z = normal((n, latent), 0)
    X = Z @ normal((latent, p), 1) + normal((n, p), 2)
    Y = Z @ normal((latent, q), 3) + normal((n, q), 4)
    return X, Y


def timed(fn, sync, repeat):
    times, out = [], None
    for _ in range(repeat):
        sync()
        t0 = time.perf_counter()
        out = fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def qr_reference(xp, X, Y):
    """Canonical correlations from the definition, on the device, float64."""
    Xc = xp.astype(X, xp.float64)
    Xc -= xp.mean(Xc, axis=0)
    Yc = xp.astype(Y, xp.float64)
    Yc -= xp.mean(Yc, axis=0)
    qx, _ = xp.linalg.qr(Xc)
    qy, _ = xp.linalg.qr(Yc)
    return xp.linalg.svdvals(qx.T @ qy)


def to_numpy(a):
    from sklearn.utils._array_api import move_to

    return np.asarray(move_to(a, xp=np, device="cpu"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["torch", "cupy"], default="torch")
    parser.add_argument("--device", default="cuda", help="torch device")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--p", type=int, default=2048)
    parser.add_argument("--q", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--host-threads", type=int, default=None)
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--cpu-threads", type=int, default=os.cpu_count())
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument(
        "--fourier-shape", type=int, nargs=4, default=(4000, 16, 16, 128)
    )
    parser.add_argument("--skip-fourier", action="store_true")
    args = parser.parse_args(argv)
    n, p = args.n, args.p
    q = args.q or p

    xp, _, sync, normal, info = backend(args.backend, args.device)
    X, Y = views(normal, xp, n, p, q, latent=max(1, min(p, q) // 4))
    sync()
    print(f"# sklearn-svcca GPU benchmark: {n} x {p} vs {n} x {q}, float32")
    print(f"backend: {info}")
    print(f"host: {platform.processor() or platform.machine()}, numpy {np.__version__}")

    def floor(A, B):
        A.T @ A
        B.T @ B
        return A.T @ B

    def floor64():
        return floor(xp.astype(X, xp.float64), xp.astype(Y, xp.float64))

    steps = [
        ("floor float32 (device)", lambda: floor(X, Y)),
        # Includes the casts: float64 copies cannot be kept next to the data
        # on a memory-bound device.
        ("floor float64 (device)", floor64),
        ("moments (device)", lambda: compute_moments(X, Y)),
        ("CCA.fit", lambda: CCA().fit(X, Y)),
        ("SVCCA.fit", lambda: SVCCA().fit(X, Y)),
        ("PWCCA.fit", lambda: PWCCA().fit(X, Y)),
    ]
    rows, out = [], {}
    with threadpool_limits(limits=args.host_threads):
        host = [f"{i['internal_api']} x{i['num_threads']}" for i in threadpool_info()]
        print("host BLAS:", host)
        with sklearn.config_context(array_api_dispatch=True):
            for name, fn in steps:
                t, out[name] = timed(fn, sync, args.repeat)
                rows.append((name, t))
            moments, cca = out["moments (device)"], out["CCA.fit"]
            t, _ = timed(
                lambda: CCA()._fit_moments(moments, None, None, warn=False),
                sync,
                args.repeat,
            )
            rows.insert(3, ("decompositions (device)", t))
            t, _ = timed(lambda: cca.transform(X), sync, args.repeat)
            rows.append(("CCA.transform", t))
            if not args.no_check:
                t, ref = timed(lambda: qr_reference(xp, X, Y), sync, 1)
                rows.append(("QR reference (device, f64)", t))

    base = rows[1][1]
    print(f"\n{'step':<30}{'median s':>10}{'x floor64':>11}")
    for name, t in rows:
        print(f"{name:<30}{t:>10.3f}{t / base:>11.2f}")
    print(f"solver: {cca.solver_}; components: {cca.n_components_}")
    status = 0
    if not args.skip_cpu:
        host_comparison(
            args, to_numpy(X), to_numpy(Y), device_fit=dict(rows)["CCA.fit"]
        )
    if not args.skip_fourier:
        fourier_comparison(args, xp, sync, normal)
    if not args.no_check:
        diff = np.max(np.abs(to_numpy(cca.canonical_correlations_) - to_numpy(ref)))
        print(f"max |ρ - ρ_QR| = {diff:.2e} ({'OK' if diff <= 1e-8 else 'MISMATCH'})")
        status = 0 if diff <= 1e-8 else 1
    return status


def host_comparison(args, X, Y, *, device_fit):
    """The same fit in NumPy on the host's cores, against the host's floors."""
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)

    def floor(A, B):
        A.T @ A
        B.T @ B
        A.T @ B

    def no_sync():
        pass

    with threadpool_limits(limits=args.cpu_threads):
        rows = [
            (
                "host floor float64",
                timed(lambda: floor(X64, Y64), no_sync, args.repeat)[0],
            ),
            ("host floor float32", timed(lambda: floor(X, Y), no_sync, args.repeat)[0]),
            (
                "host moments",
                timed(lambda: compute_moments(X, Y), no_sync, args.repeat)[0],
            ),
            ("host CCA.fit", timed(lambda: CCA().fit(X, Y), no_sync, args.repeat)[0]),
        ]
    base = rows[0][1]
    print(f"\n## NumPy on {args.cpu_threads} host threads, same data")
    print(f"{'step':<30}{'median s':>10}{'x floor64':>11}")
    for name, t in rows:
        print(f"{name:<30}{t:>10.3f}{t / base:>11.2f}")
    print(f"GPU CCA.fit is {rows[-1][1] / device_fit:.1f}x faster than the host's")


def fourier_comparison(args, xp, sync, normal):
    """FourierCCA on the device and on the host's cores, same maps."""
    n, h, w, c = args.fourier_shape
    Z = normal((n, h, w, c), 5)
    X = Z + normal((n, h, w, c), 6)
    Y = Z + normal((n, h, w, c), 7)
    sync()
    with sklearn.config_context(array_api_dispatch=True):
        t_dev, est = timed(lambda: FourierCCA().fit(X, Y), sync, args.repeat)
        grid = frequency_grid((h, w), (h, w))
        t_mom, _ = timed(lambda: spectral_moments(X, Y, grid), sync, args.repeat)
    Xh, Yh = to_numpy(X), to_numpy(Y)

    def no_sync():
        pass

    with threadpool_limits(limits=args.cpu_threads):
        t_host, ref = timed(lambda: FourierCCA().fit(Xh, Yh), no_sync, args.repeat)
    diff = np.max(
        np.abs(to_numpy(est.canonical_correlations_) - ref.canonical_correlations_)
    )
    print(f"\n## FourierCCA.fit on {n} x {h} x {w} x {c} float32 maps")
    print(
        f"device {t_dev:.3f} s (its moments alone {t_mom:.3f} s; the stacked "
        f"decompositions on {type(est.x_weights_).__module__} arrays), "
        f"host ({args.cpu_threads} threads) {t_host:.3f} s: "
    )
    print(f"GPU {t_host / t_dev:.1f}x faster (target >= 10x); max |dρ| {diff:.1e}")


if __name__ == "__main__":
    sys.exit(main())
