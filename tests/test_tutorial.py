"""The original tutorial's printed numbers, as statistical checks.

The tutorial draws i.i.d. Gaussian "activations" with an unseeded RNG and
prints one draw. These tests use seeded draws and tolerances of about four
standard deviations of the statistic across seeds (measured: 0.0015 for the
first, 0.0002 for the second and third, 0.0017 for SVCCA).
"""

import warnings

import pytest

from sklearn_svcca import CCA, PWCCA, SVCCA
from sklearn_svcca.exceptions import SampleSizeWarning


def test_toy_example_100_vs_50_neurons_on_2000_samples(rng):
    # Tutorial, "Toy Example": 'Single number for summarizing similarity
    # 0.2074'.
    A = rng.normal(size=(2000, 100))
    B = rng.normal(size=(2000, 50))
    cca = CCA().fit(A, B)
    assert cca.n_components_ == 50
    assert cca.similarity_ == pytest.approx(0.207, abs=0.006)


def test_toy_example_invertible_transform_gives_one(rng):
    # Tutorial: CCA of A with a random linear transform of A is 1.0000.
    A = rng.normal(size=(2000, 100))
    assert CCA().fit(A, A @ rng.normal(size=(100, 100))).similarity_ == pytest.approx(
        1.0, abs=1e-9
    )


@pytest.fixture(scope="module")
def gaussian_baseline():
    rng = __import__("numpy").random.RandomState(1)
    return rng.normal(size=(10000, 500)), rng.normal(size=(10000, 500))


def test_mnist_baseline_500_vs_500_on_10000_samples(gaussian_baseline):
    # Tutorial: 'Baseline Mean CCA similarity 0.190608725157'.
    b1, b2 = gaussian_baseline
    assert CCA().fit(b1, b2).similarity_ == pytest.approx(0.1906, abs=0.001)


def test_pwcca_baseline(gaussian_baseline):
    # Tutorial: 'Results using PWCCA Baseline 0.192359138707' (from the
    # original compute_pwcca, whose construction differs slightly from the
    # paper's definition implemented here; both are about 0.19).
    b1, b2 = gaussian_baseline
    assert PWCCA().fit(b1, b2).similarity_ == pytest.approx(0.19, abs=0.003)


def test_svcca_baseline_keeping_20_dims(gaussian_baseline):
    # Tutorial: 'Results using SVCCA keeping 20 dims Baseline 0.0351604561232'.
    b1, b2 = gaussian_baseline
    svcca = SVCCA(svd_dims=20).fit(b1, b2)
    assert (svcca.x_svd_dims_, svcca.y_svd_dims_) == (20, 20)
    assert svcca.similarity_ == pytest.approx(0.035, abs=0.007)


def test_how_many_datapoints_curve_decreases_and_held_out_fixes_it(rng):
    # Tutorial, "How many datapoints?": the in-sample mean falls as samples
    # grow (100 vs 100 neurons). Held-out scoring is the remedy: near 0 at
    # every size.
    from sklearn.model_selection import cross_val_score

    in_sample, held_out = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        for n in (300, 1000, 3000):
            A = rng.normal(size=(n, 100))
            B = rng.normal(size=(n, 100))
            in_sample.append(CCA().fit(A, B).similarity_)
            held_out.append(cross_val_score(CCA(), A, B, cv=3).mean())
    assert in_sample[0] > in_sample[1] > in_sample[2] > 0.15
    assert max(abs(h) for h in held_out) < 0.03
