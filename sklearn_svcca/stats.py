"""Is a similarity above chance, and how many canonical directions are real?

- :func:`similarity_baseline`: the similarity on permuted or Gaussian data
  of the same shape, and a permutation p-value (the tutorial's "compute a
  baseline with your number of datapoints").
- :func:`bartlett_lawley_test`: sequential χ² tests of how many canonical
  correlations are non-zero.
- :func:`summarize_correlations`: mean, top-k mean, the original code's
  thresholded mean, and sum.

For the cross-validated permutation test, use
:func:`sklearn.model_selection.permutation_test_score`, which works with
these estimators as they are.
"""

from ._baseline import BaselineResult, similarity_baseline
from ._significance import BartlettLawleyResult, bartlett_lawley_test
from ._summaries import CorrelationSummary, summarize_correlations

__all__ = [
    "BartlettLawleyResult",
    "BaselineResult",
    "CorrelationSummary",
    "bartlett_lawley_test",
    "similarity_baseline",
    "summarize_correlations",
]
