"""Running many independent fits: joblib threads and a progress line."""

from __future__ import annotations

import sys
import time

from sklearn.utils.parallel import Parallel, delayed


def check_progress(progress):
    """``progress=None`` means on when stderr is a terminal (interactive use)."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not isinstance(progress, bool):
        raise TypeError(
            f"progress must be True, False or None (on when interactive); got "
            f"{progress!r}."
        )
    return progress


def parallel_map(func, tasks, *, n_jobs=None, progress=False, desc=""):
    """``[func(*task) for task in tasks]``, in parallel, in order.

    Threads are preferred: the work is BLAS and LAPACK calls, which release
    the GIL, and threads share the activations instead of copying them to
    worker processes. A ``joblib.parallel_config`` context set by the caller
    takes precedence. Every task is independent and its inputs are fixed
    before it runs, so the results do not depend on ``n_jobs``.
    """
    tasks = list(tasks)
    parallel = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")
    results = []
    with _Progress(len(tasks), desc, enabled=progress) as bar:
        for result in parallel(delayed(func)(*task) for task in tasks):
            results.append(result)
            bar.update()
    return results


class _Progress:
    """tqdm when it is installed, otherwise one self-rewriting stderr line."""

    _MIN_INTERVAL = 0.2  # seconds between redraws of the plain line

    def __init__(self, total, desc, *, enabled):
        self.total = total
        self.desc = desc
        # total None: a stream of unknown length, counted without a percentage.
        self.enabled = enabled and (total is None or total > 0)
        self.done = 0
        self._tqdm = None
        self._last_draw = -float("inf")
        self._start = time.monotonic()
        if self.enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self._tqdm = tqdm(total=total, desc=desc, file=sys.stderr)

    def __enter__(self):
        return self

    def update(self):
        self.done += 1
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.update(1)
            return
        now = time.monotonic()
        if self.done == self.total or now - self._last_draw >= self._MIN_INTERVAL:
            self._last_draw = now
            elapsed = now - self._start
            if self.total is None:
                line = f"{self.done} ({elapsed:.1f} s)"
            else:
                line = (
                    f"{self.done}/{self.total} "
                    f"({100 * self.done / self.total:.0f}%, {elapsed:.1f} s)"
                )
            sys.stderr.write(f"\r{self.desc}: {line}")
            sys.stderr.flush()

    def __exit__(self, *exc):
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            sys.stderr.write("\n")
            sys.stderr.flush()
