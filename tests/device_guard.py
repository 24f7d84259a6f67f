"""The guard of the device-solve suites: host linear algebra is forbidden.

``host_linalg_forbidden()`` makes NumPy's and SciPy's decompositions and
solvers raise for the length of a block, and disables the move of host
results next to the input afterwards, so that a fit that succeeds inside it
decomposed in the input's namespace and computed its fitted arrays there.
Used by ``test_device_solve.py`` (CCA, SVCCA, PWCCA),
``test_device_solve_fourier.py`` (FourierCCA) and
``test_device_solve_procrustes.py``. ``NAMESPACES`` and ``xp_for`` are the
namespaces and devices those suites and ``test_array_api.py`` run on;
``kind_of`` and ``to_host`` read and fetch their arrays.
"""

import contextlib
import sys

import numpy as np
import pytest
import scipy.linalg
import sklearn

try:  # scikit-learn's array API helpers (1.9); the importing suite skips without
    from sklearn.utils._array_api import get_namespace_and_device, move_to
    from sklearn.utils._testing import _array_api_for_tests
except ImportError:  # pragma: no cover - older scikit-learn
    pytest.skip("scikit-learn's array API helpers are missing", allow_module_level=True)

import sklearn_svcca._array_api as array_api

# Namespaces and devices the Array API suites run on; unavailable ones skip,
# so the same files exercise a GPU where there is one
# (benchmarks/run_device_checks.sh).
NAMESPACES = [
    ("array_api_strict", "device1"),
    ("torch", "cpu"),
    ("torch", "cuda"),
    ("cupy", None),
]


def xp_for(namespace, device, dtype="float64"):
    """scikit-learn's test namespace for ``(namespace, device)``, or skip."""
    pytest.importorskip(namespace)
    try:
        return _array_api_for_tests(namespace, device, dtype)
    except Exception as exc:  # SkipTest for an absent device
        pytest.skip(str(exc))


def kind_of(a):
    """``(namespace name, device)`` of an array, as scikit-learn sees it."""
    with sklearn.config_context(array_api_dispatch=True):
        xp, _, device = get_namespace_and_device(a)
    return xp.__name__, device


def to_host(a):
    """Any Array API array as a NumPy array."""
    return np.asarray(move_to(a, xp=np, device="cpu"))


# Every dense decomposition or solver NumPy and SciPy offer.
HOST_LINALG = (
    "eigh",
    "eigvalsh",
    "svd",
    "qr",
    "solve",
    "inv",
    "lstsq",
    "cholesky",
    "pinv",
)


def _forbidden(module, name, original):
    def call(*args, **kwargs):
        # array-api-strict implements its namespace's linalg with NumPy's:
        # its own calls are the namespace's, on its (simulated) device.
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.split(".")[0] == "array_api_strict":
            return original(*args, **kwargs)
        raise AssertionError(f"{module}.{name} was called during a namespaced fit")

    return call


@contextlib.contextmanager
def host_linalg_forbidden():
    """NumPy's and SciPy's linear algebra raise inside this context.

    The public fitted arrays must also be computed where they live: moving
    host results next to the input afterwards is disabled.
    """
    with pytest.MonkeyPatch.context() as mp:
        for module in (np.linalg, scipy.linalg):
            for name in HOST_LINALG:
                original = getattr(module, name)
                mp.setattr(module, name, _forbidden(module.__name__, name, original))
        mp.setattr(array_api, "fitted_to_namespace", lambda estimator, like: None)
        yield
