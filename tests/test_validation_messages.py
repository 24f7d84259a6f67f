"""One message per defect, whatever the kind of array (issue 12).

Every estimator checks its views with ``_validation.check_views``. Here each
defect is given to each measure of ``estimators.CASES`` as NumPy arrays, as
Array API arrays (array-api-strict, ``array_api_dispatch=True``) and as Dask
arrays, and the three errors must be the same ``ValueError`` with the same
text, which also has to name the argument and say what was wrong.
"""

import os
import re

import numpy as np
import pytest
import sklearn

from sklearn_svcca import CCA, FourierCCA

import synthetic
from estimators import CASES, ids

da = pytest.importorskip("dask.array")

KINDS = ["numpy", "array_api", "dask"]

N, P, Q = 40, 4, 3


def _array_api():
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        pytest.skip("array API dispatch needs SCIPY_ARRAY_API=1 before scipy")
    pytest.importorskip("array_api_strict")
    from sklearn.utils._testing import _array_api_for_tests

    return _array_api_for_tests("array_api_strict", "device1")


def _as_kind(a, kind):
    if a is None or kind == "numpy":
        return a
    if kind == "dask":
        return da.from_array(a, chunks=10)
    xp, device = _array_api()
    return xp.asarray(a, device=device)


def _error(kind, call, *arrays):
    """The ValueError that ``call`` raises on ``arrays`` converted to ``kind``."""
    arrays = [_as_kind(a, kind) for a in arrays]
    with sklearn.config_context(array_api_dispatch=kind == "array_api"):
        with pytest.raises(ValueError) as info:
            call(*arrays)
    return str(info.value)


def _same_message(call, arrays, expected, kinds=KINDS):
    messages = {kind: _error(kind, call, *arrays) for kind in kinds}
    assert re.search(expected, messages["numpy"]), messages["numpy"]
    for kind in kinds:
        assert messages[kind] == messages["numpy"], (kind, messages)


X, Y = synthetic.views(0, N, P, Q, offset=1.0)

FIT_DEFECTS = {
    "too few samples": (
        (X[:1], Y[:1]),
        r"Found array with 1 sample\(s\) \(shape=\(1, 4\)\) while a minimum of 2 "
        r"is required by {name}",
    ),
    "zero features": ((X[:, :0], Y), r"Found array with 0 feature\(s\)"),
    "complex dtype": (
        (X + 1j, Y),
        r"Complex data not supported: X has dtype complex128\. Pass real",
    ),
    "constant view": ((np.ones_like(X), Y), r"^X is constant: all 4 of its "),
    "constant y": ((X, np.full_like(Y, 3.0)), r"^y is constant: all 3 of its "),
    "missing y": ((X, None), r"This {name} estimator requires y to be passed"),
    "mismatched sample counts": (
        (X, Y[:-1]),
        r"inconsistent numbers of samples: \[40, 39\]",
    ),
}


@pytest.mark.parametrize("defect", FIT_DEFECTS)
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_fit_defect_has_one_message_for_every_kind(case, defect):
    arrays, expected = FIT_DEFECTS[defect]
    expected = expected.format(name=type(case.estimator).__name__)
    _same_message(lambda a, b: case.make().fit(a, b), arrays, expected)
    # partial_fit checks its batches with the same checker (one sample is
    # a valid batch there).
    if defect not in ("too few samples", "constant view", "constant y"):
        _same_message(lambda a, b: case.make().partial_fit(a, b), arrays, expected)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_string_dtype_is_refused_in_memory_and_by_dask(case):
    # Array API namespaces have no string dtype. NumPy would otherwise parse
    # the strings as numbers; activations as text are a loading mistake.
    _same_message(
        lambda a, b: case.make().fit(a, b),
        (X.astype(str), Y),
        r"dtype='<U\d+' is not supported: X must be numeric",
        kinds=["numpy", "dask"],
    )


def _fitted(case, kind):
    with sklearn.config_context(array_api_dispatch=kind == "array_api"):
        return case.make().fit(_as_kind(X, kind), _as_kind(Y, kind))


PREDICT_DEFECTS = {
    "wrong n_features of X in transform": (
        "transform",
        (X[:, :3], None),
        r"X has 3 features, but {name} is expecting 4 features as input",
    ),
    "wrong n_features of y in transform": (
        "transform",
        (X, Y[:, :2]),
        r"y has 2 features, but {name} was fitted with y having 3 features",
    ),
    "wrong n_features of X in score": (
        "score",
        (X[:, :3], Y),
        r"X has 3 features, but {name} is expecting 4 features as input",
    ),
    "wrong n_features of y in score": (
        "score",
        (X, Y[:, :2]),
        r"y has 2 features, but {name} was fitted with y having 3 features",
    ),
    "missing y in score": (
        "score",
        (X, None),
        r"{name}\.score requires y, the second view, but the target y is None",
    ),
    "too few samples in score": (
        "score",
        (X[:1], Y[:1]),
        r"score needs at least 2 samples to compute (correlations|CKA), got 1",
    ),
    "mismatched sample counts in score": (
        "score",
        (X, Y[:-1]),
        r"inconsistent numbers of samples: \[40, 39\]",
    ),
    "complex dtype in transform": (
        "transform",
        (X + 1j, None),
        r"Complex data not supported: X has dtype complex128",
    ),
}


@pytest.mark.parametrize("defect", PREDICT_DEFECTS)
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_predict_defect_has_one_message_for_every_kind(case, defect):
    method, arrays, expected = PREDICT_DEFECTS[defect]
    if method == "transform" and not case.transform:
        pytest.skip(f"{case.name} has no transform")
    if defect == "too few samples in score" and case.min_score_samples < 2:
        pytest.skip(f"{case.name} scores one sample (training means)")
    expected = expected.format(name=type(case.estimator).__name__)
    fitted = {kind: _fitted(case, kind) for kind in KINDS}
    messages = {
        kind: _error(kind, getattr(fitted[kind], method), *arrays) for kind in KINDS
    }
    assert re.search(expected, messages["numpy"]), messages["numpy"]
    for kind in KINDS:
        assert messages[kind] == messages["numpy"], (kind, messages)


def test_one_dask_view_gets_the_same_messages():
    # A Dask X next to an in-memory y (and the reverse) is checked as two
    # Dask arrays: the same errors again.
    numpy = _error("numpy", lambda a, b: CCA().fit(a, b), X, Y[:-1])
    mixed = [
        _error("numpy", lambda a, b: CCA().fit(a, b), da.from_array(X, 10), Y[:-1]),
        _error("numpy", lambda a, b: CCA().fit(a, b), X, da.from_array(Y[:-1], 10)),
    ]
    assert mixed == [numpy, numpy]
    cca = CCA().fit(X, Y)
    numpy = _error("numpy", cca.score, X[:, :3], Y)
    assert _error("numpy", cca.score, X[:, :3], da.from_array(Y, 10)) == numpy


def test_fourier_map_shapes_have_one_message_for_every_kind():
    maps_x, maps_y = synthetic.maps(1, N, (4, 4, 2), (3, 3, 2))
    fitted = {}
    for kind in KINDS:
        with sklearn.config_context(array_api_dispatch=kind == "array_api"):
            fitted[kind] = FourierCCA().fit(
                _as_kind(maps_x, kind), _as_kind(maps_y, kind)
            )
    for method, arrays, expected in [
        ("transform", (maps_x[:, :3], None), r"X has maps of shape \(3, 4, 2\)"),
        ("score", (maps_x, maps_y[..., :1]), r"y has maps of shape \(3, 3, 1\)"),
        ("score", (maps_x[..., 0], maps_y), r"X must be an array of shape"),
    ]:
        messages = {
            kind: _error(kind, getattr(fitted[kind], method), *arrays) for kind in KINDS
        }
        assert re.search(expected, messages["numpy"]), messages["numpy"]
        assert len(set(messages.values())) == 1, messages


def test_dask_shapes_are_checked_without_computing():
    # Sizes come from the shape (scikit-learn's check on a zero-strided
    # stand-in): an 8 GB lazy array with one sample fails at once.
    huge = da.zeros((1, 10**9), chunks=(1, 10**7))
    with pytest.raises(ValueError, match=r"Found array with 1 sample\(s\)"):
        CCA().fit(huge, huge)
    # The stand-in holds no memory, whatever the shape.
    from sklearn_svcca._validation import _stand_in

    stand_in = _stand_in(da.zeros((10**6, 10**6), chunks=(10**3, 10**3)))
    assert stand_in.shape == (10**6, 10**6)
    assert stand_in.strides == (0, 0)
