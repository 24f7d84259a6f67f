"""Displays: what is drawn, checked on the Agg backend."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sklearn_svcca import (
    CCA,
    PWCCA,
    CanonicalCorrelationDisplay,
    CanonicalVariatesDisplay,
    SimilarityMatrixDisplay,
    similarity_matrix,
)
from sklearn_svcca.stats import similarity_baseline

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _views(n=300, seed=0):
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n, 2))
    X = latent @ rng.normal(size=(2, 6)) + rng.normal(size=(n, 6))
    Y = latent @ rng.normal(size=(2, 5)) + rng.normal(size=(n, 5))
    return X, Y


def test_import_does_not_import_matplotlib():
    code = textwrap.dedent(
        """
        import sys
        import sklearn_svcca, sklearn_svcca.stats
        from sklearn_svcca import CanonicalCorrelationDisplay, similarity_matrix
        assert "matplotlib" not in sys.modules, "matplotlib was imported"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_clear_error_without_matplotlib():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["matplotlib"] = None  # as if it were not installed
        import numpy as np
        from sklearn_svcca import SimilarityMatrixDisplay
        try:
            SimilarityMatrixDisplay(np.eye(2)).plot()
        except ImportError as exc:
            assert "pip install 'sklearn-svcca[plot]'" in str(exc), exc
        else:
            raise AssertionError("no ImportError")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------- correlation curve


def test_curve_of_a_fitted_estimator():
    X, Y = _views()
    cca = CCA().fit(X, Y)
    display = CanonicalCorrelationDisplay.from_estimator(cca)
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(1, 6))
    np.testing.assert_array_equal(
        display.line_.get_ydata(), cca.canonical_correlations_
    )
    assert display.line_.get_label() == "CCA"
    assert display.baseline_line_ is None and display.baseline_band_ is None
    assert display.ax_.get_xlabel() == "Canonical pair (sorted by correlation)"
    assert display.ax_.get_ylim() == (0.0, 1.02)
    assert display.figure_ is display.ax_.figure


def test_curve_with_a_baseline_band():
    X, Y = _views()
    cca = CCA().fit(X, Y)
    baseline = similarity_baseline(CCA(), X, Y, n_resamples=20, random_state=0)
    display = CanonicalCorrelationDisplay.from_estimator(
        cca, baseline=baseline, quantiles=(0.1, 0.9), name="A vs B"
    )
    null = baseline.null_correlations
    np.testing.assert_allclose(display.baseline_line_.get_ydata(), null.mean(axis=0))
    # The band's polygon runs along the lower edge and back along the upper.
    vertices = display.baseline_band_.get_paths()[0].vertices
    low, high = np.quantile(null, 0.1, axis=0), np.quantile(null, 0.9, axis=0)
    for rank in range(1, null.shape[1] + 1):
        ys = vertices[np.isclose(vertices[:, 0], rank), 1]
        assert np.isclose(ys.min(), low[rank - 1]) and np.isclose(
            ys.max(), high[rank - 1]
        )
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert labels == ["A vs B", "chance, 10%–90%", "chance, mean"]


def test_curve_baseline_as_array_with_padding():
    rho = np.array([0.9, 0.5, 0.2])
    null = np.array([[0.3, 0.1, np.nan], [0.5, 0.3, 0.1]])
    display = CanonicalCorrelationDisplay(rho, baseline_correlations=null).plot()
    np.testing.assert_allclose(display.baseline_line_.get_ydata(), [0.4, 0.2, 0.1])


def test_curve_on_given_axes_and_errors():
    X, Y = _views()
    fig, axes = plt.subplots(1, 2)
    display = CanonicalCorrelationDisplay.from_estimator(
        PWCCA().fit(X, Y), ax=axes[1], line_kw={"color": "red"}
    )
    assert display.ax_ is axes[1] and display.figure_ is fig
    assert display.line_.get_color() == "red"
    with pytest.raises(ValueError, match="quantiles must satisfy"):
        CanonicalCorrelationDisplay([0.5]).plot(quantiles=(0.9, 0.1))
    with pytest.raises(ValueError, match="baseline_correlations must be 2-D"):
        CanonicalCorrelationDisplay([0.5], baseline_correlations=[0.1]).plot()
    with pytest.raises(ValueError, match="non-empty 1-D"):
        CanonicalCorrelationDisplay([]).plot()


# ------------------------------------------------------------ heatmap


def test_heatmap_from_layers():
    X, Y = _views()
    layers = {"x": X, "y": Y, "noise": np.random.RandomState(1).normal(size=(300, 4))}
    display = SimilarityMatrixDisplay.from_layers(layers, estimator=CCA())
    expected = similarity_matrix(layers, estimator=CCA()).similarities
    np.testing.assert_array_equal(display.im_.get_array(), expected)
    ax = display.ax_
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "noise"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "noise"]
    assert display.im_.get_clim() == (0.0, 1.0)
    assert display.text_.shape == (3, 3)
    assert display.text_[0, 1].get_text() == f"{expected[0, 1]:.2f}"
    assert display.colorbar_ is not None


def test_heatmap_from_result_rectangular():
    X, Y = _views()
    result = similarity_matrix([X, Y], {"first": X}, estimator=PWCCA())
    display = SimilarityMatrixDisplay.from_result(
        result, include_values=False, colorbar=False, xlabel="net B", ylabel="net A"
    )
    assert display.im_.get_array().shape == (2, 1)
    assert display.text_ is None and display.colorbar_ is None
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["first"]
    assert [t.get_text() for t in display.ax_.get_yticklabels()] == ["0", "1"]
    assert display.ax_.get_xlabel() == "net B"


def test_heatmap_limits_outside_the_unit_interval_and_errors():
    display = SimilarityMatrixDisplay(np.array([[-0.2, 0.5]])).plot()
    assert display.im_.get_clim() == (-0.2, 0.5)
    many = SimilarityMatrixDisplay(np.zeros((11, 11))).plot()
    assert many.text_ is None  # more than 100 cells: no values by default
    with pytest.raises(ValueError, match="non-empty 2-D"):
        SimilarityMatrixDisplay(np.zeros(3)).plot()
    with pytest.raises(ValueError, match="row_labels has 1 entries for 2 layers"):
        SimilarityMatrixDisplay(np.eye(2), row_labels=["a"]).plot()


# ---------------------------------------------------- class-sorted variates


def test_variates_sorted_by_class_with_boundaries():
    rng = np.random.RandomState(0)
    labels = rng.choice(np.array(["cat", "dog", "emu"]), size=200)
    X = rng.normal(size=(200, 4)) + (labels == "dog")[:, None]
    Y = rng.normal(size=(200, 3)) + (labels == "dog")[:, None]
    cca = CCA().fit(X, Y)
    display = CanonicalVariatesDisplay.from_estimator(
        cca, X, Y, labels=labels, n_components=2, spacing=10.0
    )
    order = np.argsort(labels, kind="stable")
    np.testing.assert_array_equal(display.order_, order)
    x_c, y_c = cca.transform(X, Y)
    assert display.lines_.shape == (2, 2)
    for c in range(2):
        np.testing.assert_allclose(
            display.lines_[c, 0].get_ydata(), x_c[order, c] - 10.0 * c
        )
        np.testing.assert_allclose(
            display.lines_[c, 1].get_ydata(), y_c[order, c] - 10.0 * c
        )
        np.testing.assert_array_equal(display.lines_[c, 0].get_xdata(), np.arange(200))
    counts = [np.sum(labels == name) for name in ("cat", "dog", "emu")]
    boundaries = [line.get_xdata()[0] for line in display.boundaries_]
    np.testing.assert_allclose(boundaries, np.cumsum(counts)[:-1] - 0.5)
    ticks = display.ax_.get_xticklabels()
    assert [t.get_text() for t in ticks] == ["cat", "dog", "emu"]
    centers = np.concatenate(([0], np.cumsum(counts)))
    np.testing.assert_allclose(
        display.ax_.get_xticks(), (centers[:-1] + centers[1:] - 1) / 2
    )
    yticks = [t.get_text() for t in display.ax_.get_yticklabels()]
    rho = cca.canonical_correlations_
    assert yticks == [f"CCA 1\n(ρ = {rho[0]:.2f})", f"CCA 2\n(ρ = {rho[1]:.2f})"]


def test_variates_of_one_view_and_errors():
    X, Y = _views()
    labels = np.repeat([0, 1, 2], 100)
    cca = CCA().fit(X, Y)
    display = CanonicalVariatesDisplay.from_estimator(cca, X, labels=labels)
    assert display.lines_.shape == (3, 1)
    assert len(display.boundaries_) == 2
    with pytest.raises(ValueError, match="only 5 canonical directions"):
        CanonicalVariatesDisplay.from_estimator(cca, X, labels=labels, n_components=6)
    with pytest.raises(ValueError, match="one entry per sample"):
        CanonicalVariatesDisplay.from_estimator(cca, X, labels=labels[:-1])
    with pytest.raises(ValueError, match="view_names needs a name for each of the 2"):
        CanonicalVariatesDisplay.from_estimator(
            cca, X, Y, labels=labels, view_names=("A",)
        )
    with pytest.raises(ValueError, match="y_variates has shape"):
        CanonicalVariatesDisplay(
            np.zeros((4, 2)), [0, 0, 1, 1], y_variates=np.zeros((4, 1))
        ).plot()
