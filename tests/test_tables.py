"""Tabular views of the result objects: to_frame (pandas) and plain text."""

import sys

import numpy as np
import pytest

from sklearn_svcca import CCA, SimilarityMatrixResult, similarity_matrix
from sklearn_svcca.stats import (
    BartlettLawleyResult,
    BaselineResult,
    CorrelationSummary,
    bartlett_lawley_test,
    similarity_baseline,
    summarize_correlations,
)


def _results():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    Y = X[:, :3] + rng.normal(size=(200, 3))
    fitted = CCA().fit(X, Y)
    return {
        SimilarityMatrixResult: similarity_matrix(
            {"first": X, "second": Y}, estimator=CCA()
        ),
        BaselineResult: similarity_baseline(CCA(), X, Y, n_resamples=9, random_state=0),
        BartlettLawleyResult: bartlett_lawley_test(fitted),
        CorrelationSummary: summarize_correlations(fitted),
    }


def test_similarity_matrix_frame_is_the_labelled_matrix():
    pd = pytest.importorskip("pandas")
    result = _results()[SimilarityMatrixResult]
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["first", "second"]
    assert list(frame.columns) == ["first", "second"]
    np.testing.assert_array_equal(frame.to_numpy(), result.similarities)


def test_other_frames_hold_their_fields():
    pytest.importorskip("pandas")
    results = _results()
    baseline = results[BaselineResult].to_frame()
    assert baseline.shape == (1, 6)
    assert baseline["pvalue"].iloc[0] == results[BaselineResult].pvalue
    assert baseline["n_resamples"].iloc[0] == 9
    test = results[BartlettLawleyResult]
    np.testing.assert_array_equal(test.to_frame()["pvalue"], test.pvalues)
    summary = results[CorrelationSummary]
    assert summary.to_frame()["top_k_mean"].iloc[0] == summary.top_k_mean


@pytest.mark.parametrize(
    "kind",
    [SimilarityMatrixResult, BaselineResult, BartlettLawleyResult, CorrelationSummary],
)
def test_plain_text_without_pandas(kind, monkeypatch):
    result = _results()[kind]
    text = result.to_string()
    assert str(result) == text
    _, columns = result._table()
    header = text.splitlines()[0].split()
    assert header == [str(name) for name in columns]
    assert len(text.splitlines()) == 1 + len(next(iter(columns.values())))
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert result.to_string() == text
    with pytest.raises(ImportError, match=r"needs pandas.*to_string\(\)"):
        result.to_frame()


def test_plain_text_values():
    result = _results()[SimilarityMatrixResult]
    lines = result.to_string().splitlines()
    assert lines[1].split() == ["first", "1.000", f"{result.similarities[0, 1]:.3f}"]
    # Small values keep their magnitude instead of printing as 0.000.
    tiny = summarize_correlations([2e-9, 1e-9])
    assert tiny.to_string().splitlines()[1].split()[0] == "1.5e-09"
