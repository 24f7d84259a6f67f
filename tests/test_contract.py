"""The library's contract, as a property over hard inputs.

For all four estimators and any input hypothesis can build from the
pathologies real activations have (shapes with fewer samples than neurons,
float16 to float64, integer and boolean activations, magnitudes from 1e-300
to 1e150, offsets up to 1e8 times the spread, dead, duplicated and
near-collinear neurons, C- or Fortran-ordered, read-only), every call

* either raises ``ValueError`` or ``TypeError`` with a message that names
  the offending argument,
* or returns finite numbers (never NaN, never a NumPy ``RuntimeWarning``)
  that match the independent reference of ``tests/reference.py`` to 1e-6
  wherever the problem is well posed,

and never modifies its inputs. A well-posed problem must not raise, unless
a result is beyond float64's range (the weights of activations near
1e-308), which the error must say.

**Well posed** is decided from the data alone, without knowing how the
library works, in two steps:

1. *Every direction is resolved or exactly absent at the input's precision.*
   With each unit scaled by its uncentered norm (so an offset costs what it
   costs in precision), no singular value of the centered view lies
   between float64 rounding (1e-13) and 100 times the input dtype's
   rounding floor ``eps · (1 + √(units / samples))``:
   such a direction is below the rounding of a float32 or float16 input,
   and a correct method may keep or drop it. Dead and duplicated units are
   exact dependencies, not ambiguous ones.
2. *The answer is determined.* The reference is evaluated again on two
   copies perturbed by ``2 · eps64`` relative to each entry (drawn per
   distinct unit, constant units left constant, so exact dependencies
   stay exact). Where its answer moves by more than 1e-7, or its rank
   changes, the problem's condition is beyond what float64 settles (the
   issue's "condition ≤ 1e8"), or an SVCCA cut falls inside a cluster of
   equal singular values. Exact ties among canonical correlations (several
   at 1 when there are fewer samples than neurons), which no perturbation
   breaks, leave PWCCA's weights an arbitrary choice: its similarity is
   compared only where the correlations are distinct.

Elsewhere only the first half of the contract (a clear error, or finite
numbers) is checked.
"""

import os
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA

import reference

# Enough examples to matter: every estimator sees this many hard inputs in
# every CI run (about a minute in all on two cores).
EXAMPLES = int(os.environ.get("SKLEARN_SVCCA_CONTRACT_EXAMPLES", 300))
ATOL = 1e-6
# How far the reference may move under rounding-level perturbations for
# the problem to count as well posed: 10x below the tolerance.
STABLE = 1e-7

contract_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # CI must not be flaky: there, every run tries the same examples.
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

FLOAT_MAGNITUDES = {
    "float64": [1e-300, 1e-160, 1e-20, 1.0, 1e20, 1e150],
    "float32": [1e-30, 1e-10, 1.0, 1e10, 1e30],
    "float16": [1e-2, 1.0, 1e3],
}
DTYPES = ["float64", "float32", "float16", "int64", "int32", "bool"]
OFFSETS = [0.0, 1.0, 1e3, 1e8]


# --------------------------------------------------------------------- data


def _inject_pathologies(Z, draw, rng):
    """Dead, duplicated and near-collinear units along the last axis."""
    c = Z.shape[-1]
    units = st.integers(0, c - 1)
    for _ in range(draw(st.integers(0, min(3, c)))):  # dead (exactly 0)
        Z[..., draw(units)] = 0.0
    if c >= 2:
        for _ in range(draw(st.integers(0, 2))):  # duplicated
            i, j = draw(units), draw(units)
            Z[..., j] = Z[..., i]
        for _ in range(draw(st.integers(0, 2))):  # near-collinear
            i, j = draw(units), draw(units)
            level = 10.0 ** -draw(st.integers(3, 12))
            Z[..., j] = Z[..., i] + level * rng.normal(size=Z[..., i].shape)
    return Z


def _finish(Z, draw, rng):
    """Offset, magnitude, dtype, memory layout and write flag."""
    dtype = draw(st.sampled_from(DTYPES))
    offset_ratio = draw(st.sampled_from(OFFSETS))
    spread = np.max(np.abs(Z)) or 1.0
    offset = offset_ratio * (1 + rng.uniform(size=Z.shape[-1]))
    if dtype == "bool":
        A = Z > 0
    elif dtype.startswith("int"):
        # Activations quantized to 9 levels, offset by up to 2e8 of them.
        A = (np.round(4 * Z / spread) + np.round(4 * offset)).astype(dtype)
    else:
        A = Z + offset * spread
        magnitude = draw(st.sampled_from(FLOAT_MAGNITUDES[dtype]))
        # An exact power-of-two rescale puts the largest entry at magnitude.
        A = reference.exact_rescale(A) * magnitude
        A = A.astype(dtype)
    if draw(st.booleans()):
        A = np.asfortranarray(A)
    A.setflags(write=not draw(st.booleans()))
    return A


@st.composite
def two_layers(draw, *, maps=False):
    """Two views of the same samples: a shared latent, noise, pathologies."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.RandomState(seed)
    if maps:
        n = draw(st.integers(2, 120))
        shape_x = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        shape_y = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        p, q = draw(st.integers(1, 8)), draw(st.integers(1, 8))
        shared = draw(st.integers(0, min(p, q)))
        z = rng.normal(size=(n, *shape_x, shared))
        X = z @ rng.normal(size=(shared, p)) + rng.normal(size=(n, *shape_x, p))
        zy = np.resize(z, (n, *shape_y, shared))
        Y = zy @ rng.normal(size=(shared, q)) + rng.normal(size=(n, *shape_y, q))
    else:
        n = draw(st.integers(2, 200))
        p, q = draw(st.integers(1, 30)), draw(st.integers(1, 30))
        shared = draw(st.integers(0, min(p, q)))
        noise = draw(st.sampled_from([0.01, 0.3, 3.0]))
        z = rng.normal(size=(n, shared))
        X = z @ rng.normal(size=(shared, p)) + noise * rng.normal(size=(n, p))
        Y = z @ rng.normal(size=(shared, q)) + noise * rng.normal(size=(n, q))
    X = _finish(_inject_pathologies(X, draw, rng), draw, rng)
    Y = _finish(_inject_pathologies(Y, draw, rng), draw, rng)
    return X, Y


# ------------------------------------------------- reference and its stability


EPS64 = float(np.finfo(np.float64).eps)
# The reference's rank rule: directions below this (relative) are exact
# dependencies. Step 1 leaves no direction within a decade of it, so the
# rule never has to choose.
RANK_RTOL = 1e-13


def _input_eps(A):
    dtype = np.asarray(A).dtype
    if np.issubdtype(dtype, np.floating):
        return float(np.finfo(dtype).eps)
    return EPS64  # integers and booleans are exact


def _perturbed(A, seed):
    """``A`` with every distinct, varying unit moved by about one rounding."""
    A64 = np.asarray(A, dtype=np.float64)
    flat = A64.reshape(-1, A64.shape[-1])
    distinct, inverse = np.unique(flat, axis=1, return_inverse=True)
    rng = np.random.RandomState(seed)
    noise = rng.normal(size=distinct.shape)
    noise[:, np.ptp(distinct, axis=0) == 0] = 0.0  # dead units stay dead
    moved = distinct + 2 * EPS64 * np.abs(distinct) * noise
    return moved[:, inverse.ravel()].reshape(A64.shape)


def _resolved(A_in, *, per_unit=True):
    """Step 1: no direction between float64 rounding and the input's.

    ``per_unit=False`` judges directions against the whole view's scale
    instead of each unit's, as SVCCA's variance-ranked truncation does.
    """
    A = _varying(A_in)
    if A.ndim == 2:
        A = A[:, None, None]
    n, h, w, c = A.shape
    if c == 0:
        return False  # nothing varies: the library must say so
    # 100x the rounding floor of a (n, c) table (Marchenko-Pastur's edge).
    resolution = 100 * _input_eps(A_in) * (1 + np.sqrt(c / n))
    # Parseval: a channel's energy over all frequencies is h·w times its
    # energy over positions, so this scales each frequency's unit alike.
    scale = np.sqrt(h * w) * np.linalg.norm(A.reshape(-1, c), axis=0)
    if not per_unit:
        scale = np.full(c, np.max(scale))
    spectra = reference.spectra(A, A)[0].reshape(n, -1, c)
    for f in range(spectra.shape[1]):
        Z = (spectra[:, f] - spectra[:, f].mean(axis=0)) / scale
        s = np.linalg.svd(Z, compute_uv=False)
        if np.any((s > RANK_RTOL / 10) & (s < max(resolution, 10 * RANK_RTOL))):
            return False
    return True


def _varying(A):
    """Rescaled float64 copy without its exactly constant units."""
    A = reference.exact_rescale(np.asarray(A, dtype=np.float64))
    flat = A.reshape(-1, A.shape[-1]) if A.ndim > 2 else A
    return A[..., np.ptp(flat, axis=0) > 0]


def _centered(A):
    """``A`` centered over samples, twice.

    One centering leaves each unit off by the rounding of its mean (a
    constant, but ``eps · offset`` large): with an offset, that residual is
    a direction the reference would take for signal. The second removes it
    to ``eps²``.
    """
    A = A - A.mean(axis=0)
    return A - A.mean(axis=0)


def _reference(name, X, Y, est):
    """The reference's answer: a dict of arrays to compare with the fit."""
    Xr, Yr = _centered(_varying(X)), _centered(_varying(Y))
    if Xr.shape[-1] == 0 or Yr.shape[-1] == 0:
        return None
    if name == "FourierCCA":
        if Xr.ndim == 2:
            Xr, Yr = Xr[:, None, None], Yr[:, None, None]
        freq = reference.fourier(Xr, Yr, RANK_RTOL)
        # The fit pads every frequency to min(channels) counting dead ones.
        k = min(np.shape(X)[-1], np.shape(Y)[-1])
        freq = np.pad(freq, [(0, 0), (0, 0), (0, k - freq.shape[-1])])
        return {"frequency_correlations_": freq}
    if name == "SVCCA":
        return {
            "canonical_correlations_": reference.svcca(
                Xr, Yr, est.svd_dims, rtol=RANK_RTOL
            )
        }
    rho = reference.cca(Xr, Yr, RANK_RTOL)[0]
    out = {"canonical_correlations_": rho}
    # Tied correlations (several at 1 when n <= p + q) leave the directions
    # within the tie, and so PWCCA's weights, an arbitrary choice: exact
    # ties survive any perturbation, so they are looked for directly.
    if name == "PWCCA" and np.all(np.diff(-rho) > 1e-6):
        out["similarity_"] = np.array([reference.pwcca(Xr, Yr, RANK_RTOL)[0]])
    return out


def _distance(a, b):
    if a is None or b is None:
        return 0.0 if a is b else np.inf
    if a.keys() != b.keys():
        return np.inf
    worst = 0.0
    for key in a:
        if a[key].shape != b[key].shape:
            return np.inf
        worst = max(worst, float(np.max(np.abs(a[key] - b[key]), initial=0.0)))
    return worst


def _well_posed_reference(name, X, Y, est):
    """The reference's answer, or None where the data cannot settle it."""
    if not (_resolved(X) and _resolved(Y)):
        return None
    if name == "SVCCA" and not (
        _resolved(X, per_unit=False) and _resolved(Y, per_unit=False)
    ):
        return None
    expected = _reference(name, X, Y, est)
    for seed in (1, 2):
        moved = _reference(name, _perturbed(X, seed), _perturbed(Y, 10 + seed), est)
        if expected is None or _distance(expected, moved) > STABLE:
            return None
    return expected


# ------------------------------------------------------------------ contract

NAMES_ARGUMENT = re.compile(r"\b(X|y)\b")


def _check_contract(est, X, Y):
    name = type(est).__name__
    X_before, Y_before = X.copy(), Y.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A RuntimeWarning from NumPy means an inf or NaN was made somewhere.
        warnings.simplefilter("error", RuntimeWarning)
        try:
            est.fit(X, Y)
            similarity = est.score(X, Y)
            variates = est.transform(X, Y)
        except (ValueError, TypeError) as error:
            message = str(error)
            raised = error
        else:
            raised = None
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)
    assert X.dtype == X_before.dtype and Y.dtype == Y_before.dtype
    expected = _well_posed_reference(name, X, Y, est)

    if raised is not None:
        assert NAMES_ARGUMENT.search(message), (
            f"{type(raised).__name__} does not name X or y: {message!r}"
        )
        # The one error allowed on a well-posed problem: a result (such as
        # the weights of activations near 1e-308, about 1e308) that float64
        # cannot represent, said as such.
        assert expected is None or "magnitude" in message, (
            f"{name} raised on a well-posed problem: {message!r}"
        )
        return

    fitted = {
        "similarity_": np.array([est.similarity_]),
        "canonical_correlations_": est.canonical_correlations_,
    }
    if name == "FourierCCA":
        fitted["frequency_correlations_"] = est.frequency_correlations_
    for key, value in fitted.items():
        assert np.all(np.isfinite(value)), f"{key} is not finite: {value}"
    assert np.isfinite(similarity)
    for v in variates:
        assert np.all(np.isfinite(v))
    if expected is None:
        return
    for key, value in expected.items():
        assert fitted[key].shape == value.shape, (key, fitted[key], value)
        np.testing.assert_allclose(fitted[key], value, rtol=0, atol=ATOL, err_msg=key)
    assert abs(similarity - est.similarity_) <= ATOL


@contract_settings
@given(views=two_layers())
def test_cca_contract(views):
    _check_contract(CCA(), *views)


@contract_settings
@given(views=two_layers(), dims=st.sampled_from([1, 2, 5, 30, 0.5, 0.9, 0.99]))
def test_svcca_contract(views, dims):
    _check_contract(SVCCA(svd_dims=dims), *views)


@contract_settings
@given(views=two_layers())
def test_pwcca_contract(views):
    _check_contract(PWCCA(), *views)


@contract_settings
@given(views=st.one_of(two_layers(maps=True), two_layers()))
def test_fourier_cca_contract(views):
    _check_contract(FourierCCA(), *views)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_perturbation_flags_what_the_dtype_cannot_resolve(dtype):
    # The well-posedness oracle itself: a unit 1e-6 away from another is
    # resolved in float64 data but not in float32's; exact
    # duplicates are resolved in both.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    Y = X @ rng.normal(size=(3, 2)) + rng.normal(size=(100, 2))
    duplicated = np.column_stack([X, X[:, 0]]).astype(dtype)
    assert _well_posed_reference("CCA", duplicated, Y, CCA()) is not None
    near = np.column_stack([X, X[:, 0] + 1e-6 * rng.normal(size=100)]).astype(dtype)
    assert (_well_posed_reference("CCA", near, Y, CCA()) is None) == (
        dtype == "float32"
    )
