"""Fit times of every canonical estimator, one checkout against another.

A refactoring of the solve (issue 12's batched core) must not slow NumPy
fits down or change their numbers. This times ``fit`` of CCA (Gram and QR
routes), SVCCA, PWCCA and FourierCCA (Gram and QR routes) on fixed shapes,
one BLAS thread, best of ``--repeat``, in a fresh process per checkout and
round, alternating between the checkouts so that a loaded machine slows
both alike; it prints each checkout's times, their ratio, and the largest
difference between their canonical correlations (0.0: bit-identical).

Examples
--------
::

    git worktree add --detach /tmp/before <commit>
    python benchmarks/bench_fits.py --checkouts /tmp/before . --rounds 2
    python benchmarks/bench_fits.py              # this checkout alone
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()

# One process per checkout and round: the fits, timed, and their correlations.
_WORKER = r"""
import json, sys, time, warnings
import numpy as np
from threadpoolctl import threadpool_limits
sys.path.insert(0, sys.argv[1])
import sklearn_svcca as ss

warnings.simplefilter("ignore")
rng = np.random.RandomState(0)


def views(n, p, q, d=20):
    Z = rng.normal(size=(n, d))
    X = Z @ rng.normal(size=(d, p)) + rng.normal(size=(n, p))
    Y = Z @ rng.normal(size=(d, q)) + rng.normal(size=(n, q))
    return X, Y


X5, Y5 = views(10000, 500, 500)
X3, Y3 = views(10000, 300, 300)
M1 = rng.normal(size=(300, 8, 8, 48))
M2 = M1[..., :40] + rng.normal(size=(300, 8, 8, 40))
M3 = rng.normal(size=(300, 8, 8, 32))
M4 = M3[..., :24] + rng.normal(size=(300, 8, 8, 24))
cases = {
    "CCA 10000x500": (lambda: ss.CCA(), X5, Y5),
    "CCA qr 10000x300": (lambda: ss.CCA(solver="qr"), X3, Y3),
    "SVCCA 10000x500": (lambda: ss.SVCCA(svd_dims=0.99), X5, Y5),
    "PWCCA 10000x500": (lambda: ss.PWCCA(), X5, Y5),
    "FourierCCA 300x8x8x48": (lambda: ss.FourierCCA(), M1, M2),
    "FourierCCA qr 300x8x8x32": (lambda: ss.FourierCCA(solver="qr"), M3, M4),
}
out = {}
with threadpool_limits(1):
    for name, (make, A, B) in cases.items():
        best = float("inf")
        for _ in range(int(sys.argv[2])):
            start = time.perf_counter()
            est = make().fit(A, B)
            best = min(best, time.perf_counter() - start)
        out[name] = (best, np.asarray(est.canonical_correlations_).tolist())
print(json.dumps(out))
"""


def run(checkout, repeat):
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER, str(Path(checkout).resolve()), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", nargs="+", default=[str(HERE.parents[1])])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    times = {c: [] for c in args.checkouts}
    corrs = {}
    for _ in range(args.rounds):
        for c in args.checkouts:
            result = run(c, args.repeat)
            times[c].append({k: v[0] for k, v in result.items()})
            corrs.setdefault(c, {k: np.asarray(v[1]) for k, v in result.items()})
    names = list(times[args.checkouts[0]][0])
    first = args.checkouts[0]
    header = f"fit (s, best of {args.repeat})"
    print(f"{header:28s}", *(f"{Path(c).name:>16s}" for c in args.checkouts))
    for name in names:
        cells = [", ".join(f"{t[name]:.3f}" for t in times[c]) for c in args.checkouts]
        print(f"{name:28s}", *(f"{cell:>16s}" for cell in cells))
    for c in args.checkouts[1:]:
        print(f"\n{Path(c).name} vs {Path(first).name}: median time ratio, max |Δρ|")
        for name in names:
            ratio = np.median([t[name] for t in times[c]]) / np.median(
                [t[name] for t in times[first]]
            )
            a, b = corrs[first][name], corrs[c][name]
            diff = np.max(np.abs(a - b)) if a.shape == b.shape else float("nan")
            print(f"  {name:28s} {ratio:5.2f}   {diff:.1e}")


if __name__ == "__main__":
    main()
