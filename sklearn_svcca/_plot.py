"""Displays: canonical-correlation curves, similarity heatmaps, class-sorted variates.

They follow scikit-learn's visualization API: build one with a
``from_*`` class method (or the constructor, from precomputed values), draw
it with ``plot(ax=...)``, and find what was drawn in the attributes ending
in ``_`` (``ax_``, ``figure_`` and the artists). matplotlib is imported only
when something is drawn, so ``import sklearn_svcca`` never imports it.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._plotting import _validate_style_kwargs
from sklearn.utils.validation import check_is_fitted


def _check_matplotlib(caller):
    """scikit-learn's ``check_matplotlib_support``, naming our extra too.

    Its message offers ``pip install matplotlib``; the ``[plot]`` extra
    installs the matplotlib our displays need (>= 3.5), which it cannot say.
    """
    try:
        check_matplotlib_support(caller)
    except ImportError as exc:
        raise ImportError(
            f"{exc}, or with this package's extra: pip install 'sklearn-svcca[plot]'."
        ) from exc


def _figure_and_axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots()
    else:
        fig = ax.figure
    return fig, ax


class CanonicalCorrelationDisplay:
    """Canonical correlations against their rank, with an optional chance band.

    The SVCCA tutorial's main plot: the sorted canonical correlations of two
    representations, read against those of the same estimator on data where
    there is nothing to find. Build it with :meth:`from_estimator`.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    canonical_correlations : array-like of shape (n_components,)
        The correlations, in decreasing order.

    baseline_correlations : array-like of shape (n_resamples, n_baseline), \
            default=None
        Canonical correlations of each resample of a null (NaN where a
        resample has fewer), e.g. ``BaselineResult.null_correlations``.

    name : str, default=None
        Legend label of the curve.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve: ``x`` is ``1, ..., n_components``, ``y`` the correlations.

    baseline_line_ : matplotlib Line2D or None
        Mean of the baseline correlations at each rank.

    baseline_band_ : matplotlib PolyCollection or None
        The band between the baseline's lower and upper quantiles.

    ax_ : matplotlib Axes
        Axes with the plot.

    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    sklearn_svcca.stats.similarity_baseline : Computes the baseline.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_svcca import CCA, CanonicalCorrelationDisplay
    >>> from sklearn_svcca.stats import similarity_baseline
    >>> rng = np.random.RandomState(0)
    >>> latent = rng.normal(size=(500, 3))
    >>> X = latent @ rng.normal(size=(3, 10)) + rng.normal(size=(500, 10))
    >>> Y = latent @ rng.normal(size=(3, 8)) + rng.normal(size=(500, 8))
    >>> cca = CCA().fit(X, Y)
    >>> baseline = similarity_baseline(CCA(), X, Y, n_resamples=20, random_state=0)
    >>> display = CanonicalCorrelationDisplay.from_estimator(cca, baseline=baseline)
    >>> display.line_.get_ydata().round(2)
    array([0.93, 0.88, 0.79, 0.17, 0.13, 0.08, 0.05, 0.04])

    Three directions stand well above the chance level (the mean of the
    permuted fits), the rest are at it:

    >>> display.baseline_line_.get_ydata().round(2)
    array([0.23, 0.19, 0.17, 0.14, 0.11, 0.08, 0.06, 0.03])
    """

    def __init__(
        self, canonical_correlations, *, baseline_correlations=None, name=None
    ):
        self.canonical_correlations = canonical_correlations
        self.baseline_correlations = baseline_correlations
        self.name = name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        quantiles=(0.05, 0.95),
        line_kw=None,
        baseline_kw=None,
        band_kw=None,
    ):
        """Draw the curve (and the baseline).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        name : str, default=None
            Legend label of the curve; None uses the one given at
            construction.

        quantiles : tuple of two floats, default=(0.05, 0.95)
            Lower and upper quantiles of the baseline at each rank, the edges
            of the band.

        line_kw, baseline_kw, band_kw : dict, default=None
            Keyword arguments for ``ax.plot`` (curve, baseline mean) and
            ``ax.fill_between`` (band).

        Returns
        -------
        display : CanonicalCorrelationDisplay
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        rho = _as_array(self.canonical_correlations, "canonical_correlations", 1)
        low, high = _check_quantiles(quantiles)
        fig, ax = _figure_and_axes(ax)
        name = self.name if name is None else name

        line_kw = _validate_style_kwargs({"linewidth": 2.0}, line_kw or {})
        if name is not None:
            line_kw.setdefault("label", name)
        ranks = np.arange(1, rho.shape[0] + 1)
        (self.line_,) = ax.plot(ranks, rho, **line_kw)

        self.baseline_line_ = self.baseline_band_ = None
        if self.baseline_correlations is not None:
            null = np.asarray(self.baseline_correlations, dtype=np.float64)
            if null.ndim != 2 or null.shape[1] == 0:
                raise ValueError(
                    "baseline_correlations must be 2-D, (n_resamples, "
                    f"n_components); got shape {null.shape}."
                )
            null_ranks = np.arange(1, null.shape[1] + 1)
            band_kw = _validate_style_kwargs(
                {
                    "alpha": 0.2,
                    "color": "grey",
                    "linewidth": 0,
                    "label": f"chance, {low:.0%}–{high:.0%}",
                },
                band_kw or {},
            )
            self.baseline_band_ = ax.fill_between(
                null_ranks,
                np.nanquantile(null, low, axis=0),
                np.nanquantile(null, high, axis=0),
                **band_kw,
            )
            baseline_kw = _validate_style_kwargs(
                {"color": "grey", "linestyle": "--", "label": "chance, mean"},
                baseline_kw or {},
            )
            (self.baseline_line_,) = ax.plot(
                null_ranks, np.nanmean(null, axis=0), **baseline_kw
            )
        ax.set(
            xlabel="Canonical pair (sorted by correlation)",
            ylabel="Canonical correlation",
            ylim=(0.0, 1.02),
        )
        if name is not None or self.baseline_correlations is not None:
            ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        baseline=None,
        ax=None,
        name=None,
        quantiles=(0.05, 0.95),
        line_kw=None,
        baseline_kw=None,
        band_kw=None,
    ):
        """Plot the canonical correlations of a fitted estimator.

        Parameters
        ----------
        estimator : fitted estimator
            Any estimator with ``canonical_correlations_`` (CCA, SVCCA,
            PWCCA, ...).

        baseline : BaselineResult or array-like of shape (n_resamples, k), \
                default=None
            The chance band: the result of
            :func:`~sklearn_svcca.stats.similarity_baseline` (its
            ``null_correlations``), or the correlations of each resample.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        name : str, default=None
            Legend label; None uses the estimator's class name.

        quantiles : tuple of two floats, default=(0.05, 0.95)
            Edges of the baseline band.

        line_kw, baseline_kw, band_kw : dict, default=None
            See :meth:`plot`.

        Returns
        -------
        display : CanonicalCorrelationDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "canonical_correlations_"):
            raise TypeError(
                f"{type(estimator).__name__} has no canonical correlations to plot; "
                "CanonicalCorrelationDisplay takes CCA, SVCCA, PWCCA or FourierCCA. "
                "Plot its similarity_ across layers with SimilarityMatrixDisplay."
            )
        if baseline is not None and hasattr(baseline, "null_correlations"):
            if baseline.null_correlations is None:
                raise ValueError(
                    "This baseline has no null_correlations: it was computed "
                    "for an estimator without canonical_correlations_."
                )
            baseline = baseline.null_correlations
        display = cls(
            estimator.canonical_correlations_,
            baseline_correlations=baseline,
            name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(
            ax=ax,
            quantiles=quantiles,
            line_kw=line_kw,
            baseline_kw=baseline_kw,
            band_kw=band_kw,
        )


class SimilarityMatrixDisplay:
    """Heatmap of the similarity of every pair of layers.

    One pane of the SVCCA paper's learning-dynamics figures. Build it with
    :meth:`from_layers` or, from a computed
    :class:`~sklearn_svcca.SimilarityMatrixResult`, with :meth:`from_result`.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    similarities : array-like of shape (n_rows, n_cols)
        ``similarities[i, j]`` for row layer ``i`` and column layer ``j``.

    row_labels : list of str, default=None
        Names of the row layers; None numbers them from 0.

    col_labels : list of str, default=None
        Names of the column layers; None numbers them from 0.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The heatmap; ``im_.get_array()`` is the matrix.

    text_ : ndarray of shape (n_rows, n_cols) of matplotlib Text, or None
        The values written in the cells, if any.

    colorbar_ : matplotlib Colorbar or None
        The colorbar, if any.

    ax_ : matplotlib Axes
        Axes with the heatmap.

    figure_ : matplotlib Figure
        Figure containing the heatmap.

    See Also
    --------
    sklearn_svcca.similarity_matrix : Computes the matrix.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_svcca import CCA, SimilarityMatrixDisplay
    >>> rng = np.random.RandomState(0)
    >>> inputs = rng.normal(size=(500, 8))
    >>> layers = {"input": inputs, "tanh": np.tanh(inputs @ rng.normal(size=(8, 8)))}
    >>> display = SimilarityMatrixDisplay.from_layers(layers, estimator=CCA())
    >>> [t.get_text() for t in display.ax_.get_xticklabels()]
    ['input', 'tanh']
    >>> display.im_.get_array().round(2)
    masked_array(
      data=[[1.  , 0.78],
            [0.78, 1.  ]],
      mask=False,
      fill_value=1e+20)
    """

    def __init__(self, similarities, *, row_labels=None, col_labels=None):
        self.similarities = similarities
        self.row_labels = row_labels
        self.col_labels = col_labels

    def plot(
        self,
        ax=None,
        *,
        cmap="viridis",
        vmin=None,
        vmax=None,
        include_values=None,
        values_format=".2f",
        colorbar=True,
        xticks_rotation="horizontal",
        xlabel=None,
        ylabel=None,
        im_kw=None,
        text_kw=None,
    ):
        """Draw the heatmap.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        cmap : str or matplotlib Colormap, default="viridis"
            Colormap.

        vmin, vmax : float, default=None
            Color limits; None uses [0, 1] when every value is in it (every
            in-sample similarity is), else the data range.

        include_values : bool, default=None
            Write each value in its cell; None does it for matrices of at
            most 100 cells.

        values_format : str, default=".2f"
            Format of the written values.

        colorbar : bool, default=True
            Add a colorbar.

        xticks_rotation : {"vertical", "horizontal"} or float, \
                default="horizontal"
            Rotation of the column labels.

        xlabel, ylabel : str, default=None
            Axis labels.

        im_kw, text_kw : dict, default=None
            Keyword arguments for ``ax.imshow`` and ``ax.text``.

        Returns
        -------
        display : SimilarityMatrixDisplay
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        matrix = _as_array(self.similarities, "similarities", 2)
        n_rows, n_cols = matrix.shape
        row_labels = _labels(self.row_labels, n_rows, "row_labels")
        col_labels = _labels(self.col_labels, n_cols, "col_labels")
        fig, ax = _figure_and_axes(ax)

        finite = matrix[np.isfinite(matrix)]
        in_unit = finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1)
        if vmin is None:
            vmin = 0.0 if in_unit else float(finite.min())
        if vmax is None:
            vmax = 1.0 if in_unit else float(finite.max())
        im_kw = _validate_style_kwargs(
            {"interpolation": "nearest", "cmap": cmap, "vmin": vmin, "vmax": vmax},
            im_kw or {},
        )
        self.im_ = ax.imshow(matrix, **im_kw)

        if include_values is None:
            include_values = n_rows * n_cols <= 100
        self.text_ = None
        if include_values:
            self.text_ = np.empty((n_rows, n_cols), dtype=object)
            middle = (vmin + vmax) / 2
            for i in range(n_rows):
                for j in range(n_cols):
                    # Light text on the dark end of the colormap and vice versa.
                    color = self.im_.cmap(1.0 if matrix[i, j] < middle else 0.0)
                    kw = _validate_style_kwargs(
                        {"ha": "center", "va": "center", "color": color},
                        text_kw or {},
                    )
                    self.text_[i, j] = ax.text(
                        j, i, format(matrix[i, j], values_format), **kw
                    )

        self.colorbar_ = fig.colorbar(self.im_, ax=ax) if colorbar else None
        ax.set(
            xticks=np.arange(n_cols),
            yticks=np.arange(n_rows),
            xticklabels=col_labels,
            yticklabels=row_labels,
        )
        if xlabel is not None:
            ax.set_xlabel(xlabel)
        if ylabel is not None:
            ax.set_ylabel(ylabel)
        plt.setp(ax.get_xticklabels(), rotation=xticks_rotation)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_result(cls, result, *, ax=None, **plot_kw):
        """Plot a :class:`~sklearn_svcca.SimilarityMatrixResult`.

        Parameters
        ----------
        result : SimilarityMatrixResult
            The output of :func:`~sklearn_svcca.similarity_matrix`.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        **plot_kw : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : SimilarityMatrixDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_result")
        display = cls(
            result.similarities,
            row_labels=result.labels_a,
            col_labels=result.labels_b,
        )
        return display.plot(ax=ax, **plot_kw)

    @classmethod
    def from_layers(
        cls,
        layers_a,
        layers_b=None,
        *,
        estimator=None,
        scoring=None,
        symmetric="auto",
        n_jobs=None,
        progress=None,
        ax=None,
        **plot_kw,
    ):
        """Compute :func:`~sklearn_svcca.similarity_matrix` and plot it.

        Parameters
        ----------
        layers_a, layers_b, estimator, scoring, symmetric, n_jobs, progress
            See :func:`~sklearn_svcca.similarity_matrix`.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        **plot_kw : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : SimilarityMatrixDisplay
        """
        from ._layers import similarity_matrix

        _check_matplotlib(f"{cls.__name__}.from_layers")
        result = similarity_matrix(
            layers_a,
            layers_b,
            estimator=estimator,
            scoring=scoring,
            symmetric=symmetric,
            n_jobs=n_jobs,
            progress=progress,
        )
        return cls.from_result(result, ax=ax, **plot_kw)


class LearningDynamicsDisplay(SimilarityMatrixDisplay):
    """Heatmap of each layer's similarity to its final self, over training.

    The SVCCA paper's learning-dynamics figure (Raghu et al., 2017, fig. 4)
    reduced to one pane: rows are layers, columns are checkpoints in
    training order, and cell ``(i, t)`` is the similarity of layer ``i`` at
    checkpoint ``t`` with layer ``i`` at the reference (final) checkpoint --
    the diagonal of the paper's per-step panes. Layers that learn their
    final representation early turn bright early; the paper found networks
    converge bottom up. Build it with :meth:`from_checkpoints` or, from a
    computed :func:`sklearn_svcca.torch.compare_checkpoints` result, with
    :meth:`from_result`.

    Parameters
    ----------
    similarities : array-like of shape (n_layers, n_checkpoints)
        ``similarities[i, t]`` for layer ``i`` at checkpoint ``t``.

    row_labels : list of str, default=None
        Names of the layers; None numbers them from 0.

    col_labels : list of str, default=None
        Names of the checkpoints (e.g. training steps); None numbers them.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The heatmap; ``im_.get_array()`` is the matrix.

    text_ : ndarray of shape (n_layers, n_checkpoints) of matplotlib Text, or None
        The values written in the cells, if any.

    colorbar_ : matplotlib Colorbar or None
        The colorbar, if any.

    ax_ : matplotlib Axes
        Axes with the heatmap.

    figure_ : matplotlib Figure
        Figure containing the heatmap.

    See Also
    --------
    sklearn_svcca.torch.compare_checkpoints : Computes the matrix.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_svcca import LearningDynamicsDisplay
    >>> display = LearningDynamicsDisplay(
    ...     [[0.9, 0.99, 1.0], [0.4, 0.8, 1.0]], row_labels=["conv", "fc"],
    ...     col_labels=["100", "200", "300"]).plot()
    >>> display.ax_.get_xlabel()
    'checkpoint'
    """

    def plot(self, ax=None, *, xlabel="checkpoint", ylabel="layer", **kwargs):
        """Draw the heatmap; see :meth:`SimilarityMatrixDisplay.plot`.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        xlabel, ylabel : str, default="checkpoint", "layer"
            Axis labels.

        **kwargs : dict
            Passed to :meth:`SimilarityMatrixDisplay.plot`.

        Returns
        -------
        display : LearningDynamicsDisplay
        """
        return super().plot(ax, xlabel=xlabel, ylabel=ylabel, **kwargs)

    @classmethod
    def from_checkpoints(
        cls, model, checkpoints, inputs, layers, *, ax=None, plot_kw=None, **kwargs
    ):
        """Compute :func:`sklearn_svcca.torch.compare_checkpoints` and plot it.

        Parameters
        ----------
        model, checkpoints, inputs, layers
            See :func:`sklearn_svcca.torch.compare_checkpoints`.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        plot_kw : dict, default=None
            Passed to :meth:`plot`.

        **kwargs : dict
            Passed to :func:`sklearn_svcca.torch.compare_checkpoints`
            (``reference``, ``estimator``, ...).

        Returns
        -------
        display : LearningDynamicsDisplay
        """
        from .torch import compare_checkpoints

        _check_matplotlib(f"{cls.__name__}.from_checkpoints")
        result = compare_checkpoints(model, checkpoints, inputs, layers, **kwargs)
        return cls.from_result(result, ax=ax, **(plot_kw or {}))


class ClassSensitivityDisplay(SimilarityMatrixDisplay):
    """Heatmap of how much each layer knows about each class.

    The SVCCA paper's class-sensitivity analysis (Raghu et al., 2017,
    sec. 5): cell ``(i, c)`` is the similarity of layer ``i`` with the
    logit of class ``c``. Build it with :meth:`from_model` or, from a
    computed :func:`sklearn_svcca.torch.class_sensitivity` result, with
    :meth:`from_result`.

    Parameters
    ----------
    similarities : array-like of shape (n_layers, n_classes)
        ``similarities[i, c]`` for layer ``i`` and class ``c``.

    row_labels : list of str, default=None
        Names of the layers; None numbers them from 0.

    col_labels : list of str, default=None
        Names of the classes; None numbers them from 0.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The heatmap; ``im_.get_array()`` is the matrix.

    text_ : ndarray of shape (n_layers, n_classes) of matplotlib Text, or None
        The values written in the cells, if any.

    colorbar_ : matplotlib Colorbar or None
        The colorbar, if any.

    ax_ : matplotlib Axes
        Axes with the heatmap.

    figure_ : matplotlib Figure
        Figure containing the heatmap.

    See Also
    --------
    sklearn_svcca.torch.class_sensitivity : Computes the matrix.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_svcca import ClassSensitivityDisplay
    >>> display = ClassSensitivityDisplay(
    ...     [[0.2, 0.3], [0.9, 0.8]], row_labels=["conv", "fc"]).plot()
    >>> display.ax_.get_xlabel()
    'class'
    """

    def plot(self, ax=None, *, xlabel="class", ylabel="layer", **kwargs):
        """Draw the heatmap; see :meth:`SimilarityMatrixDisplay.plot`.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        xlabel, ylabel : str, default="class", "layer"
            Axis labels.

        **kwargs : dict
            Passed to :meth:`SimilarityMatrixDisplay.plot`.

        Returns
        -------
        display : ClassSensitivityDisplay
        """
        return super().plot(ax, xlabel=xlabel, ylabel=ylabel, **kwargs)

    @classmethod
    def from_model(
        cls, model, inputs, layers, *, logits, ax=None, plot_kw=None, **kwargs
    ):
        """Compute :func:`sklearn_svcca.torch.class_sensitivity` and plot it.

        Parameters
        ----------
        model, inputs, layers, logits
            See :func:`sklearn_svcca.torch.class_sensitivity`.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        plot_kw : dict, default=None
            Passed to :meth:`plot`.

        **kwargs : dict
            Passed to :func:`sklearn_svcca.torch.class_sensitivity`
            (``estimator``, ``classes``, ...).

        Returns
        -------
        display : ClassSensitivityDisplay
        """
        from .torch import class_sensitivity

        _check_matplotlib(f"{cls.__name__}.from_model")
        result = class_sensitivity(model, inputs, layers, logits=logits, **kwargs)
        return cls.from_result(result, ax=ax, **(plot_kw or {}))


class CanonicalVariatesDisplay:
    """Samples projected on the top canonical directions, sorted by class.

    The SVCCA README's interpretability figure: each canonical variate is
    drawn over the samples grouped by class, with the class boundaries
    marked, so one sees which classes a direction responds to and that two
    networks (``X`` and ``y``) learned the same directions. Build it with
    :meth:`from_estimator`.

    Read more in the :ref:`User Guide <displays>`.

    Parameters
    ----------
    x_variates : array-like of shape (n_samples, n_components)
        Canonical variates of ``X``.

    labels : array-like of shape (n_samples,)
        Class of each sample.

    y_variates : array-like of shape (n_samples, n_components), default=None
        Canonical variates of ``y``, drawn over those of ``X``.

    canonical_correlations : array-like of shape (n_components,), default=None
        Written next to each direction's name.

    view_names : tuple of two str, default=("X", "y")
        Legend labels of the two views.

    Attributes
    ----------
    lines_ : ndarray of shape (n_components, n_views) of matplotlib Line2D
        ``lines_[c, v]`` draws direction ``c`` of view ``v`` over the
        class-sorted samples, shifted down by ``offsets_[c]``.

    boundaries_ : list of matplotlib Line2D
        Vertical lines between consecutive classes, at ``x = b - 0.5`` for
        the first sample ``b`` of each class after the first.

    order_ : ndarray of shape (n_samples,)
        The (stable) sort of the samples by class: sample ``order_[i]`` is
        drawn at ``x = i``.

    offsets_ : ndarray of shape (n_components,)
        Vertical offset of each direction (0 for the first, then
        decreasing).

    ax_ : matplotlib Axes
        Axes with the plot.

    figure_ : matplotlib Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_svcca import CCA, CanonicalVariatesDisplay
    >>> rng = np.random.RandomState(0)
    >>> labels = np.repeat([0, 1, 2], 100)
    >>> X = rng.normal(size=(300, 4)) + np.eye(3, 4)[labels]
    >>> Y = rng.normal(size=(300, 5)) + np.eye(3, 5)[labels]
    >>> cca = CCA().fit(X, Y)
    >>> display = CanonicalVariatesDisplay.from_estimator(
    ...     cca, X, Y, labels=labels, n_components=2
    ... )
    >>> display.lines_.shape
    (2, 2)
    >>> [float(line.get_xdata()[0]) for line in display.boundaries_]
    [99.5, 199.5]
    """

    def __init__(
        self,
        x_variates,
        labels,
        *,
        y_variates=None,
        canonical_correlations=None,
        view_names=("X", "y"),
    ):
        self.x_variates = x_variates
        self.labels = labels
        self.y_variates = y_variates
        self.canonical_correlations = canonical_correlations
        self.view_names = view_names

    def plot(self, ax=None, *, spacing=None, line_kw=None, boundary_kw=None):
        """Draw the variates.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        spacing : float, default=None
            Vertical distance between consecutive directions; None uses 1.1
            times the largest range of a variate.

        line_kw : dict, default=None
            Keyword arguments for ``ax.plot`` of every variate.

        boundary_kw : dict, default=None
            Keyword arguments for the class boundaries (``ax.axvline``).

        Returns
        -------
        display : CanonicalVariatesDisplay
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        views = [_as_array(self.x_variates, "x_variates", 2)]
        if self.y_variates is not None:
            views.append(_as_array(self.y_variates, "y_variates", 2))
            if views[1].shape != views[0].shape:
                raise ValueError(
                    f"y_variates has shape {views[1].shape} but x_variates has "
                    f"{views[0].shape}; they must match."
                )
        view_names = [str(name) for name in self.view_names]
        if len(view_names) < len(views):
            raise ValueError(
                f"view_names needs a name for each of the {len(views)} views; got "
                f"{self.view_names!r}."
            )
        n, k = views[0].shape
        labels = np.asarray(self.labels)
        if labels.shape != (n,):
            raise ValueError(
                f"labels must have one entry per sample ({n}); got shape "
                f"{labels.shape}."
            )
        rho = (
            None
            if self.canonical_correlations is None
            else _as_array(self.canonical_correlations, "canonical_correlations", 1)
        )
        fig, ax = _figure_and_axes(ax)

        order = np.argsort(labels, kind="stable")
        sorted_labels = labels[order]
        if spacing is None:
            spread = max(float(np.ptp(v, axis=0).max()) for v in views)
            spacing = 1.1 * spread if spread > 0 else 1.0
        offsets = -spacing * np.arange(k)
        positions = np.arange(n)
        self.lines_ = np.empty((k, len(views)), dtype=object)
        for v, (variates, view_name) in enumerate(
            zip(views, view_names[: len(views)], strict=True)
        ):
            kw = _validate_style_kwargs(
                {"linewidth": 0.8, "alpha": 0.9 if v == 0 else 0.7, "color": f"C{v}"},
                line_kw or {},
            )
            for c in range(k):
                if c == 0:
                    kw = {**kw, "label": view_name}
                else:
                    kw.pop("label", None)
                (self.lines_[c, v],) = ax.plot(
                    positions, variates[order, c] + offsets[c], **kw
                )

        starts = np.flatnonzero(sorted_labels[1:] != sorted_labels[:-1]) + 1
        boundary_kw = _validate_style_kwargs(
            {"color": "grey", "linestyle": ":", "linewidth": 1.0}, boundary_kw or {}
        )
        self.boundaries_ = [ax.axvline(b - 0.5, **boundary_kw) for b in starts]
        edges = np.concatenate(([0], starts, [n]))
        ax.set_xticks((edges[:-1] + edges[1:] - 1) / 2)
        ax.set_xticklabels([str(sorted_labels[e]) for e in edges[:-1]])
        ax.set_yticks(offsets)
        ax.set_yticklabels(
            [
                f"CCA {c + 1}" + ("" if rho is None else f"\n(ρ = {rho[c]:.2f})")
                for c in range(k)
            ]
        )
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_xlabel("Samples, sorted by class")
        if len(views) > 1:
            ax.legend(loc="upper right")
        self.order_ = order
        self.offsets_ = offsets
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        labels,
        n_components=3,
        ax=None,
        view_names=("X", "y"),
        spacing=None,
        line_kw=None,
        boundary_kw=None,
    ):
        """Project data on a fitted estimator's top canonical directions.

        Parameters
        ----------
        estimator : fitted CCA, SVCCA or PWCCA
            Any estimator whose ``transform(X, y)`` returns the canonical
            variates of both views.

        X : array-like of shape (n_samples, n_features)
            First view, e.g. one network's activations.

        y : array-like of shape (n_samples, n_features_y), default=None
            Second view, e.g. the other network's activations; its variates
            are drawn over those of ``X``.

        labels : array-like of shape (n_samples,)
            Class of each sample.

        n_components : int, default=3
            How many of the top directions to draw.

        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a figure.

        view_names : tuple of two str, default=("X", "y")
            Legend labels of the two views.

        spacing, line_kw, boundary_kw
            See :meth:`plot`.

        Returns
        -------
        display : CanonicalVariatesDisplay
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "transform"):
            raise TypeError(
                f"{type(estimator).__name__} learns no map, so it has no variates "
                "to plot; CanonicalVariatesDisplay takes an estimator with "
                "transform(X, y) (CCA, SVCCA, PWCCA, Procrustes)."
            )
        if not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise ValueError(
                f"n_components must be a positive int; got {n_components!r}."
            )
        available = getattr(estimator, "n_components_", n_components)
        if n_components > available:
            raise ValueError(
                f"n_components={n_components} but the estimator has only "
                f"{available} canonical directions."
            )
        if y is None:
            x_c, y_c = estimator.transform(X), None
        else:
            x_c, y_c = estimator.transform(X, y)
            y_c = np.asarray(y_c)[:, :n_components]
        rho = getattr(estimator, "canonical_correlations_", None)
        display = cls(
            np.asarray(x_c)[:, :n_components],
            labels,
            y_variates=y_c,
            canonical_correlations=None if rho is None else rho[:n_components],
            view_names=view_names,
        )
        return display.plot(
            ax=ax, spacing=spacing, line_kw=line_kw, boundary_kw=boundary_kw
        )


def _as_array(values, name, ndim):
    """A non-empty float array of ``ndim`` dimensions, or a ValueError."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != ndim or 0 in values.shape:
        raise ValueError(
            f"{name} must be a non-empty {ndim}-D array; got shape {values.shape}."
        )
    return values


def _check_quantiles(quantiles):
    try:
        low, high = (float(q) for q in quantiles)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"quantiles must be a pair (low, high); got {quantiles!r}."
        ) from exc
    if not 0 <= low < high <= 1:
        raise ValueError(
            f"quantiles must satisfy 0 <= low < high <= 1; got {quantiles!r}."
        )
    return low, high


def _labels(labels, n, name):
    if labels is None:
        return [str(i) for i in range(n)]
    labels = [str(label) for label in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} entries for {n} layers.")
    return labels
