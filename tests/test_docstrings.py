"""Every public estimator documents exactly the attributes it fits."""

import inspect

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.externals._numpydoc.docscrape import ClassDoc

import sklearn_svcca

ESTIMATORS = [
    obj
    for name in sklearn_svcca.__all__
    if inspect.isclass(obj := getattr(sklearn_svcca, name))
    and issubclass(obj, BaseEstimator)
]
# Present only when X has string feature names.
CONDITIONAL = {"feature_names_in_"}


def _fit_data(rng):
    X = rng.normal(size=(200, 6))
    return X, X[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(200, 4))


def test_all_estimators_are_listed():
    assert {e.__name__ for e in ESTIMATORS} >= {"CCA", "SVCCA", "PWCCA"}


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_fitted_attributes_match_the_docstring(Estimator, rng):
    est = Estimator().fit(*_fit_data(rng))
    fitted = {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
    documented = {a.name for a in ClassDoc(Estimator)["Attributes"]}
    assert fitted - documented == set(), "fitted but not documented"
    assert documented - fitted - CONDITIONAL == set(), "documented but not fitted"


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_parameters_match_the_docstring(Estimator):
    documented = [p.name for p in ClassDoc(Estimator)["Parameters"]]
    signature = list(inspect.signature(Estimator).parameters)
    assert documented == signature


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_docstring_has_the_numpydoc_sections(Estimator):
    doc = ClassDoc(Estimator)
    for section in ("Parameters", "Attributes", "See Also", "Notes", "References"):
        assert doc[section], section
    assert ">>> " in "\n".join(doc["Examples"])


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_attributes_are_set_only_by_fit(Estimator, rng):
    est = Estimator()
    before = set(vars(est))
    assert all(not k.endswith("_") for k in before)
    est.fit(*_fit_data(rng))
    snapshot = {k: np.copy(v) for k, v in vars(est).items() if k.endswith("_")}
    X, Y = _fit_data(rng)
    if hasattr(est, "transform"):  # CKA learns no map
        est.transform(X, Y)
    est.score(X, Y)
    for k, v in vars(est).items():
        if k.endswith("_"):
            np.testing.assert_array_equal(v, snapshot[k])
