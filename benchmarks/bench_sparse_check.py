"""The sparse-activation check's data pass, against fusing it into the moments.

Every in-memory CCA-family fit makes a second pass over the data after the
moments pass: ``_linalg.effective_samples`` sums the fourth powers of the
standardised deviations, for the
:class:`~sklearn_svcca.exceptions.SparseActivationWarning`. This prints, in
one run with alternating order (the machine may be shared: read the ratios):

- ``moments``: the moments pass, ``compute_moments(X, Y)``;
- ``separate``: the fourth-power pass as it is, both views;
- ``fused``: what accumulating ``Σ d⁴`` inside the moments pass would add.
  NumPy: the real kernel with ``Σ b⁴`` added on each centered float64 block
  right after its SYRK (``_product_into`` wrapped, a buffer reused); other
  namespaces: ``Σ b⁴`` of the float64 centered blocks the pass already
  makes, timed as the difference of two loops over those blocks.

The fused sums are about the first mean estimate (the residual first moment
is rounding), so the bench also prints their largest relative difference to
the separate pass's.

::

    python benchmarks/bench_sparse_check.py [--threads 1] [--shapes 20000x256 ...]
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

from sklearn_svcca import _linalg


def relu_views(n, p, dtype, seed=0):
    """Two ReLU layers reading the same inputs."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, 64))
    X = np.maximum(Z @ rng.standard_normal((64, p)), 0)
    Y = np.maximum(Z @ rng.standard_normal((64, p)) + rng.standard_normal((n, p)), 0)
    return X.astype(dtype), Y.astype(dtype)


def separate(X, Y, m):
    return [
        _linalg.effective_samples(A, mean, np.diag(_linalg.to_host(c)))
        for A, mean, c in ((X, m.x_mean, m.cxx), (Y, m.y_mean, m.cyy))
    ]


def fused_numpy(X, Y):
    """compute_moments with ``Σ b⁴`` added per centered block (the prototype)."""
    sums, buffers = {}, {}
    original = _linalg._product_into

    def product_into(out, a, b, *, same):
        result = original(out, a, b, same=same)
        if same:
            t = buffers.setdefault(a.shape, np.empty(a.shape))
            np.square(a, out=t)
            np.square(t, out=t)
            key = id(out)
            sums[key] = sums.get(key, 0.0) + t.sum(axis=0)
        return result

    _linalg._product_into = product_into
    try:
        m = _linalg.compute_moments(X, Y)
    finally:
        _linalg._product_into = original
    return m, list(sums.values())


def fused_increment_namespace(X, Y, m, block_rows):
    """Seconds ``Σ b⁴`` adds to the namespace's centered float64 blocks."""
    import torch

    def loop(fourth):
        s4 = [torch.zeros(A.shape[1], dtype=torch.float64) for A in (X, Y)]
        for start in range(0, X.shape[0], block_rows):
            for A, mean, s in zip((X, Y), means, s4, strict=True):
                b = A[start : start + block_rows].to(torch.float64) - mean
                if fourth:
                    e = b * b
                    s += (e * e).sum(dim=0)
        return s4

    means = [torch.asarray(m.x_mean), torch.asarray(m.y_mean)]
    t0 = time.perf_counter()
    loop(False)
    t1 = time.perf_counter()
    loop(True)
    t2 = time.perf_counter()
    return (t2 - t1) - (t1 - t0)


def run(n, p, dtype, library, repeat):
    X, Y = relu_views(n, p, dtype)
    if library == "torch":
        import torch

        X, Y = torch.asarray(X), torch.asarray(Y)
    times = {"moments": [], "separate": [], "fused": []}
    m = _linalg.compute_moments(X, Y)
    block_rows = max(256, _linalg._BLOCK_ELEMENTS // (2 * p))
    for r in range(repeat):
        # Alternate the order: a loaded machine drifts within a run.
        steps = ["moments", "separate", "fused"]
        for step in steps if r % 2 == 0 else steps[::-1]:
            t0 = time.perf_counter()
            if step == "moments":
                m = _linalg.compute_moments(X, Y)
            elif step == "separate":
                ref = separate(X, Y, m)
            elif library == "numpy":
                fm, s4 = fused_numpy(X, Y)
                times["fused"].append(
                    time.perf_counter() - t0 - statistics.median(times["moments"])
                )
                continue
            else:
                times["fused"].append(fused_increment_namespace(X, Y, m, block_rows))
                continue
            times[step].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    line = (
        f"  {library:5} {np.dtype(dtype).name:7} {n} x {p} (both views): "
        f"moments {med['moments']:.3f} s, separate pass {med['separate']:.3f} s "
        f"= {med['separate'] / med['moments']:.0%} of it, fused would add "
        f"{med['fused']:.3f} s = {med['fused'] / med['moments']:.0%}"
    )
    if library == "numpy":
        # n_eff from the fused sums: n² / Σ e⁴ with e = d / σ, Σ d² = c_ii.
        err = 0.0
        for got4, c, want in zip(s4, (fm.cxx, fm.cyy), ref, strict=True):
            var = np.diag(c)
            keep = (var > 0) & np.isfinite(want)
            n_eff = n * n * 1.0 / (got4[keep] / var[keep] ** 2 * n * n)
            err = max(err, float(np.max(np.abs(n_eff / want[keep] - 1))))
        line += f"; fused n_eff vs separate: {err:.1e} relative"
    print(line, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--shapes", nargs="*", default=["20000x256"])
    parser.add_argument("--libraries", nargs="*", default=["numpy", "torch"])
    args = parser.parse_args(argv)
    with threadpool_limits(limits=args.threads):
        if "torch" in args.libraries:
            import torch

            torch.set_num_threads(args.threads)
        print(f"# sparse-activation pass vs moments (threads: {args.threads})")
        for shape in args.shapes:
            n, p = map(int, shape.split("x"))
            for library in args.libraries:
                for dtype in (np.float32, np.float64):
                    run(n, p, dtype, library, args.repeat)


if __name__ == "__main__":
    main()
