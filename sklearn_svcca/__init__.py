"""Canonical correlation analysis for comparing neural-network representations.

scikit-learn estimators for CCA and its deep-learning variants SVCCA
(Raghu et al., 2017), PWCCA (Morcos et al., 2018) and Fourier CCA for
convolutional layers, and the measures reported beside them: CKA (Kornblith
et al., 2019) and the Procrustes shape metric (Williams et al., 2021). Data
are ``(n_samples, n_neurons)`` (conv maps: ``(n_samples, height, width,
channels)``); ``fit(X, y)`` takes two views of the same samples.
"""

from ._cca import CCA
from ._cka import CKA
from ._fourier import FourierCCA
from ._layers import SimilarityMatrixResult, similarity_matrix
from ._plot import (
    CanonicalCorrelationDisplay,
    CanonicalVariatesDisplay,
    ClassSensitivityDisplay,
    LearningDynamicsDisplay,
    SimilarityMatrixDisplay,
)
from ._procrustes import Procrustes, angular_distance
from ._pwcca import PWCCA
from ._svcca import SVCCA

__version__ = "0.1.0.dev0"

__all__ = [
    "CCA",
    "CKA",
    "PWCCA",
    "SVCCA",
    "CanonicalCorrelationDisplay",
    "CanonicalVariatesDisplay",
    "ClassSensitivityDisplay",
    "FourierCCA",
    "LearningDynamicsDisplay",
    "Procrustes",
    "SimilarityMatrixDisplay",
    "SimilarityMatrixResult",
    "__version__",
    "angular_distance",
    "similarity_matrix",
]
