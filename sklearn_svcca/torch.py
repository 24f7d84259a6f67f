"""From a PyTorch model to the answer: hooks, moments streamed on the device.

:func:`record_activations` runs a model over its inputs and returns the
activations of chosen layers. :func:`compare_models`,
:func:`compare_checkpoints` and :func:`class_sensitivity` never hold the
activations: batch by batch, forward hooks capture each layer's output, and
the sufficient statistics of every layer and every compared pair (sample
count, means, centered cross-products, in float64 on the model's device) are
merged with the pairwise update of Chan et al.; the estimators are then
fitted from those moments alone. Memory is ``O((Σ widths)²)`` whatever the
number of inputs, and the results equal those of
:func:`~sklearn_svcca.similarity_matrix` on the recorded activations.

This module is plumbing only: the moments are those of
:mod:`sklearn_svcca._linalg` (``pair_moments``) and FourierCCA's spectral
moments; the fits are the estimators' own. PyTorch is imported when a
function is called, never by ``import sklearn_svcca``.

Conventions
-----------
- Inputs: a tensor (split into batches of ``batch_size`` rows), a
  ``DataLoader`` or any iterable of batches. A tuple or list batch feeds its
  first element to the model (``(inputs, labels)``); a dict batch is passed
  as keyword arguments (Hugging Face style) and its ``attention_mask``, if
  any, marks the padding tokens.
- Module outputs: a tensor; for a tuple, list or dict (Hugging Face
  ``ModelOutput``) the first tensor, unless ``output`` selects another.
- Layouts: 2-D outputs are ``(n, features)``; 4-D are PyTorch conv maps
  ``(N, C, H, W)``; 3-D are token sequences ``(n, tokens, features)``
  (batch first), except the outputs of ``Conv1d`` modules, which are
  ``(N, C, L)`` maps of height 1.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import os
from collections.abc import Mapping
from contextlib import closing, contextmanager
from numbers import Integral

import numpy as np
from sklearn.base import clone

from . import _array_api, _linalg
from ._fourier import FourierCCA, moments_to_host
from ._layers import SimilarityMatrixResult, _check_not_constant, _naming, _use_symmetry
from ._parallel import _Progress, check_progress
from ._pwcca import PWCCA
from ._svcca import SVCCA
from ._views import SharedView, fit_pair, similarity_of, supports_shared_views

__all__ = [
    "class_sensitivity",
    "compare_checkpoints",
    "compare_models",
    "record_activations",
]

_CONV = ("pool", "flatten", "fourier")
_TOKENS = ("mean", "last", "flatten")
_GLOB_CHARS = "*?["


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a test dependency
        raise ImportError(
            "sklearn_svcca.torch requires PyTorch. Install it with "
            "pip install 'sklearn-svcca[torch]'."
        ) from exc
    return torch


# ---------------------------------------------------------------------------
# Public functions.


def record_activations(
    model,
    inputs,
    layers,
    *,
    batch_size=256,
    device=None,
    data_format="channels_last",
    output=None,
    as_tensors=False,
):
    """Run a model over its inputs and return the activations of some layers.

    The model runs in eval mode under ``torch.no_grad()``, with a forward
    hook on each chosen module; its mode (every submodule's) is restored and
    every hook removed afterwards, even when ``forward`` raises.

    Parameters
    ----------
    model : torch.nn.Module
        The network.

    inputs : tensor, DataLoader or iterable of batches
        A tensor is split into batches of ``batch_size`` rows. A tuple or
        list batch feeds its first element; a dict batch is passed as
        keyword arguments.

    layers : str, list of str or callable
        Names from ``model.named_modules()``; a name may be a glob
        (``"features.*"``); a callable ``layers(name, module) -> bool``
        selects every module it accepts.

    batch_size : int, default=256
        Rows per batch when ``inputs`` is a tensor.

    device : str or torch.device, default=None
        Where the model runs; None keeps it where it is. Inputs are moved
        to the model's device.

    data_format : {"channels_last", "channels_first"}, default="channels_last"
        Layout of the returned conv maps: ``(n, height, width, channels)``,
        as :class:`~sklearn_svcca.FourierCCA` and :mod:`sklearn_svcca.conv`
        take them, or PyTorch's ``(n, channels, height, width)``.

    output : int, str or callable, default=None
        Which part of a module's output to record when it is a tuple, list
        or dict: an index, a key, or ``output(module_output) -> tensor``.
        None takes the first tensor.

    as_tensors : bool, default=False
        Return tensors on the model's device instead of NumPy arrays.

    Returns
    -------
    activations : dict of str to ndarray
        One entry per layer, in the order of ``layers``, with one row per
        sample, in the dtype the model computes in. Token sequences are
        ``(n, tokens, features)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_svcca.torch import record_activations
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(
    ...     torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
    ...     torch.nn.Linear(4 * 6 * 6, 10))
    >>> acts = record_activations(net, torch.randn(100, 1, 8, 8), ["1", "3"])
    >>> {name: a.shape for name, a in acts.items()}
    {'1': (100, 6, 6, 4), '3': (100, 10)}
    """
    torch = _torch()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first'; got "
            f"{data_format!r}."
        )
    names = _select_layers(model, layers, "layers")
    chunks = {name: [] for name in names}
    run = _Run([(model, names)], output=output)
    batches = run.batches(inputs, batch_size=batch_size, device=device)
    with closing(batches):
        for outputs, _ in batches:
            for name in names:
                t = outputs[0][name]
                if t.ndim == 4 and data_format == "channels_last":
                    t = t.permute(0, 2, 3, 1)
                elif t.ndim == 3 and run.is_conv1d(0, name):
                    if data_format == "channels_last":
                        t = t.permute(0, 2, 1)[:, None]
                chunks[name].append(t if as_tensors else t.cpu())
    result = {}
    for name, parts in chunks.items():
        shapes = {tuple(p.shape[1:]) for p in parts}
        if len(shapes) > 1:
            raise ValueError(
                f"Layer {name!r} produced outputs of different shapes per sample "
                f"across batches ({sorted(shapes)}), e.g. sequences padded to "
                "each batch's length; pad every batch to the same length, or use "
                "compare_models, which does not need equal lengths."
            )
        joined = torch.cat(parts)
        result[name] = joined if as_tensors else joined.numpy()
    return result


def compare_models(
    model_a,
    model_b=None,
    inputs=None,
    *,
    layers_a=None,
    layers_b=None,
    estimator=None,
    conv="pool",
    tokens="mean",
    cv=None,
    output=None,
    batch_size=256,
    device=None,
    progress=None,
):
    """Similarity of every layer of one model with every layer of another.

    One pass over ``inputs``: batch by batch, each layer's output is
    captured by a forward hook and reduced to samples × features (see
    ``conv`` and ``tokens``), and the moments of every layer (mean, centered
    Gram matrix) and of every compared pair (centered cross-products) are
    merged into running totals, in float64 on the model's device. No
    activation outlives its batch, so memory is ``O((Σ widths)²)``
    whatever the number of inputs. Every pair is then fitted from the
    moments, each layer decomposed once, as in
    :func:`~sklearn_svcca.similarity_matrix`.

    Read more in the :ref:`User Guide <torch>`.

    Parameters
    ----------
    model_a : torch.nn.Module
        The first network (the rows of the matrix, the estimator's ``X``).

    model_b : torch.nn.Module, default=None
        The second network (the columns, the estimator's ``y``). None
        compares ``model_a`` with itself. Both see the same batches.

    inputs : tensor, DataLoader or iterable of batches
        See :func:`record_activations`. Iterated once.

    layers_a : str, list of str or callable, default=None
        Layers of ``model_a`` (see :func:`record_activations`). None takes
        every leaf module (every module without submodules).

    layers_b : str, list of str or callable, default=None
        Layers of ``model_b`` (of ``model_a`` when ``model_b`` is None).
        None takes every leaf module of ``model_b``, or ``layers_a`` when
        ``model_b`` is None.

    estimator : estimator or list of estimators, default=None
        Fitted on every pair; None means ``PWCCA()`` (``FourierCCA()`` with
        ``conv="fourier"``). A list gives one matrix per estimator from the
        same forward passes (e.g. ``[PWCCA(), CKA()]``). Estimators of this
        library that fit from moments are supported: CCA, SVCCA, PWCCA,
        FourierCCA, linear CKA and Procrustes (not with ``cv``).

    conv : {"pool", "flatten", "fourier"}, default="pool"
        How a conv map is compared: its spatial mean (one feature per
        channel), its flattened values (``height·width·channels`` features,
        channels last), or by :class:`~sklearn_svcca.FourierCCA` frequency
        by frequency, whose per-frequency moments are streamed for each pair
        (the estimator must then be a FourierCCA; dense layers are 1x1
        maps).

    tokens : {"mean", "last", "flatten"}, default="mean"
        How a token sequence ``(n, tokens, features)`` is compared: the
        mean over its tokens, its last token, or every token as a sample.
        When a dict batch has an ``attention_mask``, padding tokens are left
        out of all three.

    cv : int, default=None
        Number of folds for held-out similarities: sample ``i`` of the
        stream (in input order, counting from 0) is in fold ``i % cv``.
        Each fold's moments are kept; each pair is fitted on all folds but
        one and scored on that one (``estimator.score``), and the scores are
        averaged over folds. None reports the in-sample similarities.

    output : int, str or callable, default=None
        Which part of a tuple or dict module output to use; see
        :func:`record_activations`.

    batch_size : int, default=256
        Rows per batch when ``inputs`` is a tensor.

    device : str or torch.device, default=None
        Where the models run and the moments are accumulated; None keeps
        each model where it is.

    progress : bool, default=None
        Show a progress bar on stderr (tqdm if installed). None shows it
        only when stderr is a terminal.

    Returns
    -------
    result : SimilarityMatrixResult or dict of them
        ``result.similarities[i, j]`` for layer ``i`` of ``layers_a`` and
        layer ``j`` of ``layers_b``; labelled by the layers' module names.
        A dict keyed by estimator class name when ``estimator`` is a list.

    See Also
    --------
    sklearn_svcca.similarity_matrix : The same on activations in memory.
    record_activations : The activations themselves.

    Notes
    -----
    The result equals ``similarity_matrix`` on the recorded activations
    reduced the same way (conv maps pooled or flattened in float64, ...), to
    rounding (1e-10 in our tests), on the Gram route: with no data in
    memory, ``solver="auto"`` cannot switch a near-singular pair to the
    exact QR route (see :class:`~sklearn_svcca.CCA`). Samples are rows of
    the reduced outputs: with ``tokens="flatten"`` a sample is a token, and
    ``cv`` folds are over tokens.

    Examples
    --------
    >>> import torch
    >>> from sklearn_svcca import CCA
    >>> from sklearn_svcca.torch import compare_models
    >>> _ = torch.manual_seed(0)
    >>> def net():
    ...     return torch.nn.Sequential(
    ...         torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
    >>> result = compare_models(net(), net(), torch.randn(2000, 8),
    ...                         layers_a=["0", "2"], layers_b=["0", "2"],
    ...                         estimator=CCA())
    >>> result.labels_a
    ['0', '2']
    >>> result.similarities.round(2)
    array([[1.  , 0.98],
           [0.98, 0.41]])
    """
    conv, tokens = (
        _check_choice(conv, "conv", _CONV),
        _check_choice(tokens, "tokens", _TOKENS),
    )
    estimators, as_dict = _check_estimators(estimator, conv)
    folds = _check_cv(cv)
    progress = check_progress(progress)
    if model_b is model_a:
        model_b = None  # one set of hooks per module
    names_a = _select_layers(model_a, layers_a, "layers_a")
    same = model_b is None and (layers_b is None or layers_b == layers_a)
    if model_b is None:
        names_b = names_a if same else _select_layers(model_a, layers_b, "layers_b")
        models = [(model_a, _union(names_a, names_b))]
        index_b = 0
    else:
        names_b = _select_layers(model_b, layers_b, "layers_b")
        models = [(model_a, names_a), (model_b, names_b)]
        index_b = 1
    views = [(0, name) for name in names_a]
    if same:
        rows = cols = list(range(len(views)))
    else:
        views += [(index_b, name) for name in names_b]
        rows = list(range(len(names_a)))
        cols = list(range(len(names_a), len(views)))
    # Dense pairs (j, i) are transposes of (i, j); FourierCCA's are not
    # stored that way, so it streams every ordered pair it fits.
    pairs = [
        (i, j) for i in rows for j in cols if not same or i <= j or conv == "fourier"
    ]
    labels = [f"model_{'ab'[m]}[{name!r}]" for m, name in views]
    stream = _Stream(
        models,
        views,
        pairs,
        labels,
        conv=conv,
        tokens=tokens,
        folds=folds,
        output=output,
        fourier=conv == "fourier",
    )
    stream.run(inputs, batch_size=batch_size, device=device, progress=progress)
    results = {}
    for est in estimators:
        mirror = same and _use_symmetry(est, "auto")
        matrix = stream.matrix(est, rows, cols, mirror=mirror)
        results[_estimator_key(est, results)] = SimilarityMatrixResult(
            similarities=matrix,
            labels_a=list(names_a),
            labels_b=list(names_b),
            estimator=clone(est),
            symmetric=mirror,
        )
    return results if as_dict else next(iter(results.values()))


def compare_checkpoints(
    model,
    checkpoints,
    inputs,
    layers,
    *,
    reference=-1,
    estimator=None,
    conv="pool",
    tokens="mean",
    output=None,
    batch_size=256,
    device=None,
    progress=None,
):
    """The SVCCA paper's learning dynamics: each layer against its final self.

    For every checkpoint, the similarity of each layer to the same layer of
    the reference checkpoint (the last by default), streamed as in
    :func:`compare_models` (one pass over ``inputs`` per checkpoint, with
    the reference model alongside). Layers that converge early reach 1
    early: Raghu et al. (2017) found that networks converge bottom up.

    Parameters
    ----------
    model : torch.nn.Module
        The architecture; copies of it are loaded with the checkpoints (the
        model itself is left unchanged).

    checkpoints : list or dict of state dicts or paths
        ``model.state_dict()`` snapshots in training order, or files saved
        with ``torch.save`` (loaded with ``weights_only=True``). A dict's
        keys label the checkpoints (e.g. the training step).

    inputs : tensor, DataLoader or list of batches
        See :func:`record_activations`. Iterated once per checkpoint, so a
        one-shot iterator (a generator) is refused.

    layers : str, list of str or callable
        Layers to follow; see :func:`record_activations`.

    reference : int or key, default=-1
        The checkpoint the others are compared with: a key of the dict of
        checkpoints, else a position in ``checkpoints`` (-1: the last).

    estimator : estimator, default=None
        None means ``SVCCA()`` (99% of the variance kept), as in the paper.

    conv, tokens, output, batch_size, device, progress
        See :func:`compare_models`.

    Returns
    -------
    result : SimilarityMatrixResult
        ``result.similarities[i, t]`` is the similarity of layer ``i`` at
        checkpoint ``t`` with layer ``i`` at the reference;
        ``labels_a`` are the layers, ``labels_b`` the checkpoints.

    See Also
    --------
    sklearn_svcca.LearningDynamicsDisplay : Draws the result.

    Examples
    --------
    >>> import copy, torch
    >>> from sklearn_svcca.torch import compare_checkpoints
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh())
    >>> start = copy.deepcopy(net.state_dict())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.add_(0.3 * torch.randn(16, 8))
    >>> result = compare_checkpoints(
    ...     net, [start, net.state_dict()], torch.randn(1000, 8), ["1"])
    >>> result.labels_b
    ['0', '1']
    >>> result.similarities.round(2)
    array([[0.97, 1.  ]])
    """
    torch = _torch()
    conv, tokens = (
        _check_choice(conv, "conv", _CONV),
        _check_choice(tokens, "tokens", _TOKENS),
    )
    (estimator,), _ = _check_estimators(
        SVCCA() if estimator is None else estimator, conv
    )
    if iter(inputs) is inputs:
        raise TypeError(
            "compare_checkpoints iterates over inputs once per checkpoint, but "
            "inputs is a one-shot iterator; pass a tensor, a DataLoader or a "
            "list of batches."
        )
    progress = check_progress(progress)
    labels, states = _as_checkpoints(checkpoints)
    ref = _reference_index(reference, labels, checkpoints)
    names = _select_layers(model, layers, "layers")
    load = _state_loader(torch)
    ref_model = copy.deepcopy(model)
    ref_model.load_state_dict(load(states[ref]))
    current = copy.deepcopy(model)
    n = len(names)
    views = [(0, name) for name in names] + [(1, name) for name in names]
    pairs = [(i, n + i) for i in range(n)]
    view_labels = [f"checkpoint[{{}}][{name!r}]" for name in names] + [
        f"reference[{name!r}]" for name in names
    ]
    similarities = np.empty((n, len(labels)))
    for t, state in enumerate(states):
        current.load_state_dict(load(state))
        stream = _Stream(
            [(current, names), (ref_model, names)],
            views,
            pairs,
            [lab.format(repr(labels[t])) for lab in view_labels],
            conv=conv,
            tokens=tokens,
            folds=None,
            output=output,
            fourier=conv == "fourier",
        )
        stream.run(inputs, batch_size=batch_size, device=device, progress=progress)
        for i in range(n):
            similarities[i, t] = stream.matrix(estimator, [i], [n + i])[0, 0]
    return SimilarityMatrixResult(
        similarities=similarities,
        labels_a=list(names),
        labels_b=list(labels),
        estimator=clone(estimator),
        symmetric=False,
    )


def class_sensitivity(
    model,
    inputs,
    layers,
    *,
    logits,
    estimator=None,
    classes=None,
    conv="pool",
    tokens="mean",
    output=None,
    batch_size=256,
    device=None,
    progress=None,
):
    """How much each layer knows about each class: layer vs one logit.

    The SVCCA paper's class-sensitivity analysis: the similarity of each
    layer with the logit of each class, as a layers × classes matrix,
    streamed as in :func:`compare_models`. A conv map is compared through
    its spatial mean, which is :class:`~sklearn_svcca.FourierCCA`'s only
    (DC) term for a map against a single logit.

    Parameters
    ----------
    model : torch.nn.Module
        The network.

    inputs : tensor, DataLoader or iterable of batches
        See :func:`record_activations`.

    layers : str, list of str or callable
        The layers to test; see :func:`record_activations`.

    logits : str
        Name of the module whose output holds the logits,
        ``(n, n_classes)``.

    estimator : estimator, default=None
        None means ``SVCCA()``, as in the paper; with a single logit as
        ``y``, CCA's similarity is the multiple correlation of the logit
        with the layer.

    classes : list of str, default=None
        Names of the classes (the columns); None numbers them.

    conv, tokens, output, batch_size, device, progress
        See :func:`compare_models` (``conv="fourier"`` is not needed: a
        single logit meets only the DC term).

    Returns
    -------
    result : SimilarityMatrixResult
        ``result.similarities[i, c]`` for layer ``i`` and class ``c``;
        ``labels_a`` are the layers, ``labels_b`` the classes.

    See Also
    --------
    sklearn_svcca.ClassSensitivityDisplay : Draws the result.

    Examples
    --------
    >>> import torch
    >>> from sklearn_svcca import CCA
    >>> from sklearn_svcca.torch import class_sensitivity
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(
    ...     torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    >>> result = class_sensitivity(net, torch.randn(1000, 8), ["0", "1"],
    ...                            logits="2", estimator=CCA())
    >>> result.similarities.shape
    (2, 3)
    >>> bool((result.similarities[1] > 0.999).all())  # logits are linear in "1"
    True
    """
    conv = _check_choice(conv, "conv", ("pool", "flatten"))
    tokens = _check_choice(tokens, "tokens", _TOKENS)
    (estimator,), _ = _check_estimators(
        SVCCA() if estimator is None else estimator, conv
    )
    progress = check_progress(progress)
    names = _select_layers(model, layers, "layers")
    (logit_name,) = _select_layers(model, [logits], "logits")
    views = [(0, name) for name in names] + [(0, logit_name)]
    n = len(names)
    pairs = [(i, n) for i in range(n)]
    stream = _Stream(
        [(model, _union(names, [logit_name]))],
        views,
        pairs,
        [f"layers[{name!r}]" for name in names] + [f"logits[{logit_name!r}]"],
        conv=conv,
        tokens=tokens,
        folds=None,
        output=output,
        fourier=False,
    )
    stream.run(inputs, batch_size=batch_size, device=device, progress=progress)
    n_classes = stream.widths[n]
    if classes is None:
        classes = [str(c) for c in range(n_classes)]
    elif len(classes) != n_classes:
        raise ValueError(
            f"classes has {len(classes)} names but the logits of {logit_name!r} "
            f"have {n_classes} columns; give one name per column."
        )
    return SimilarityMatrixResult(
        similarities=stream.column_matrix(estimator, list(range(n)), n),
        labels_a=list(names),
        labels_b=[str(c) for c in classes],
        estimator=clone(estimator),
        symmetric=False,
    )


# ---------------------------------------------------------------------------
# Arguments.


def _check_choice(value, name, options):
    if value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}."
        )
    return value


def _check_estimators(estimator, conv):
    """``(list of estimators, whether a list was given)``."""
    as_list = isinstance(estimator, (list, tuple))
    if estimator is None:
        estimators = [FourierCCA() if conv == "fourier" else PWCCA()]
    elif as_list:
        estimators = list(estimator)
        if not estimators:
            raise ValueError("estimator is an empty list: give at least one.")
    else:
        estimators = [estimator]
    for est in estimators:
        if not hasattr(est, "_fit_from_moments"):
            raise TypeError(
                f"{est!r} cannot be fitted from streamed moments: use an "
                "estimator of sklearn_svcca (CCA, SVCCA, PWCCA, FourierCCA, CKA, "
                "Procrustes), or record_activations and similarity_matrix for "
                "other estimators."
            )
        if getattr(est, "kernel", "linear") != "linear" or getattr(
            est, "debiased", False
        ):
            raise ValueError(
                f"{est!r} needs every sample at once (its kernel or debiasing "
                "sums over pairs of samples), which compare_models never holds; "
                "use CKA() (linear), or record_activations and similarity_matrix."
            )
        if (conv == "fourier") != isinstance(est, FourierCCA):
            raise ValueError(
                f"conv={conv!r} with estimator {est!r}: conv='fourier' compares "
                "every pair with FourierCCA (give FourierCCA(...) or None), and "
                "FourierCCA needs conv='fourier' (other conv options turn maps "
                "into plain features)."
            )
        clone(est)._validate_params()
    return estimators, as_list


def _estimator_key(est, taken):
    key = type(est).__name__
    return key if key not in taken else repr(est)


def _check_cv(cv):
    if cv is None:
        return None
    if isinstance(cv, bool) or not isinstance(cv, Integral) or cv < 2:
        raise ValueError(
            f"cv must be None or an int of at least 2 (the number of folds); got "
            f"{cv!r}. Sample i of the stream is in fold i % cv."
        )
    return int(cv)


def _union(first, second):
    return list(dict.fromkeys([*first, *second]))


def _select_layers(model, layers, arg):
    """Module names from a name, glob, list of them, callable or None."""
    modules = dict(model.named_modules())
    names = [name for name in modules if name]
    if layers is None:
        chosen = [
            name for name in names if not any(True for _ in modules[name].children())
        ]
        if not chosen:
            raise ValueError(
                f"{arg}=None takes every leaf module, but the model has no "
                "submodules; name the layers to compare."
            )
        return chosen
    if callable(layers) and not isinstance(layers, str):
        chosen = [name for name in names if layers(name, modules[name])]
        if not chosen:
            raise ValueError(f"{arg}: the callable selected no module of the model.")
        return chosen
    if isinstance(layers, str):
        layers = [layers]
    if not isinstance(layers, (list, tuple)) or not all(
        isinstance(name, str) for name in layers
    ):
        raise TypeError(
            f"{arg} must be a module name, a glob, a list of them or a callable "
            f"(name, module) -> bool; got {layers!r}."
        )
    chosen = []
    for pattern in layers:
        if pattern in modules and pattern:
            found = [pattern]
        elif any(c in pattern for c in _GLOB_CHARS):
            found = [name for name in names if fnmatch.fnmatchcase(name, pattern)]
        else:
            found = []
        if not found:
            close = difflib.get_close_matches(pattern, names, n=5)
            hint = (
                f" Did you mean {', '.join(map(repr, close))}?"
                if close
                else " See model.named_modules() for the names."
            )
            raise ValueError(f"{arg}: the model has no module {pattern!r}.{hint}")
        chosen.extend(found)
    return list(dict.fromkeys(chosen))


def _as_checkpoints(checkpoints):
    if isinstance(checkpoints, Mapping):
        labels = [str(key) for key in checkpoints]
        states = list(checkpoints.values())
    elif isinstance(checkpoints, (list, tuple)):
        states = list(checkpoints)
        labels = [str(i) for i in range(len(states))]
    else:
        raise TypeError(
            "checkpoints must be a list or dict of state dicts or paths; got "
            f"{type(checkpoints).__name__}."
        )
    if not states:
        raise ValueError("checkpoints is empty: give at least one.")
    return labels, states


def _reference_index(reference, labels, checkpoints):
    # A key of a dict first: checkpoints are often keyed by epoch or step.
    if isinstance(checkpoints, Mapping) and reference in checkpoints:
        return list(checkpoints).index(reference)
    if isinstance(reference, Integral) and not isinstance(reference, bool):
        if -len(labels) <= reference < len(labels):
            return int(reference) % len(labels)
    elif str(reference) in labels:
        return labels.index(str(reference))
    raise ValueError(
        f"reference={reference!r} is not a position in the {len(labels)} "
        f"checkpoints nor one of their labels {labels}."
    )


def _state_loader(torch):
    def load(state):
        if isinstance(state, (str, os.PathLike)):
            return torch.load(state, map_location="cpu", weights_only=True)
        if not isinstance(state, Mapping):
            raise TypeError(
                "each checkpoint must be a state dict or the path of one; got "
                f"{type(state).__name__}."
            )
        return state

    return load


# ---------------------------------------------------------------------------
# Running models with hooks.


class _Run:
    """Models run batch by batch with forward hooks on named modules."""

    def __init__(self, models, *, output=None):
        self.models = models
        self.output = output
        self._modules = [dict(model.named_modules()) for model, _ in models]

    def is_conv1d(self, m, name):
        torch = _torch()
        return isinstance(self._modules[m][name], torch.nn.Conv1d)

    def batches(self, inputs, *, batch_size, device, progress=False):
        """Yield ``(outputs, mask)`` per batch: ``outputs[m][name]`` tensors."""
        torch = _torch()
        if inputs is None:
            raise ValueError("inputs is required: a tensor, DataLoader or batches.")
        with _hooked(torch, self.models, self.output, device) as (captured, target):
            total = len(inputs) if hasattr(inputs, "__len__") else None
            if torch.is_tensor(inputs) or isinstance(inputs, np.ndarray):
                total = -(-len(inputs) // batch_size)
            with _Progress(total, "batches", enabled=progress) as bar:
                for args, kwargs, mask in _batches(torch, inputs, batch_size, target):
                    for m, (model, names) in enumerate(self.models):
                        captured[m].clear()
                        model(*args, **kwargs)
                        missing = [name for name in names if name not in captured[m]]
                        if missing:
                            raise ValueError(
                                f"Layer(s) {missing} of model {m} never ran during "
                                "forward: they are not used by forward() for these "
                                "inputs. Choose layers that are."
                            )
                    yield [dict(c) for c in captured], mask
                    bar.update()


@contextmanager
def _hooked(torch, models, output, device):
    """Eval mode, no_grad, hooks; all undone on exit, even on error."""
    handles, modes, moved = [], [], []
    captured = [{} for _ in models]
    try:
        for m, (model, names) in enumerate(models):
            modes.extend((module, module.training) for module in model.modules())
            if device is not None:
                moved.append((model, _model_device(torch, model)))
                model.to(device)
            model.eval()
            modules = dict(model.named_modules())
            for name in names:
                handles.append(
                    modules[name].register_forward_hook(
                        _hook(captured[m], name, output)
                    )
                )
        target = torch.device(device) if device is not None else None
        if target is None:
            target = _model_device(torch, models[0][0])
        with torch.no_grad():
            yield captured, target
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:
            module.training = mode
        for model, where in moved:
            model.to(where)


def _model_device(torch, model):
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _hook(store, name, output):
    def hook(module, args, out):
        if name in store:
            raise ValueError(
                f"Layer {name!r} ran more than once in one forward pass (a module "
                "used twice); record a module that runs once per pass."
            )
        store[name] = _select_output(out, output, name)

    return hook


def _select_output(out, output, name):
    torch = _torch()
    if output is not None and not torch.is_tensor(out):
        try:
            out = output(out) if callable(output) else out[output]
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError(
                f"output={output!r} cannot be taken from the output of layer "
                f"{name!r} ({type(out).__name__}): {exc}"
            ) from exc
    if isinstance(out, Mapping):
        out = list(out.values())
    if isinstance(out, (tuple, list)):
        out = next((o for o in out if torch.is_tensor(o)), None)
    if not torch.is_tensor(out):
        raise TypeError(
            f"Layer {name!r} returned no tensor ({type(out).__name__}); choose "
            "another layer or pass output= to select one."
        )
    return out.detach()


def _batches(torch, inputs, batch_size, device):
    """``(args, kwargs, attention_mask)`` per batch, on ``device``."""
    if isinstance(inputs, np.ndarray):
        inputs = torch.from_numpy(inputs)
    if torch.is_tensor(inputs):
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, Integral)
            or (batch_size < 1)
        ):
            raise ValueError(f"batch_size must be a positive int; got {batch_size!r}.")
        inputs = inputs.split(int(batch_size))
    for batch in inputs:
        if isinstance(batch, Mapping):
            kwargs = {k: _to(torch, v, device) for k, v in batch.items()}
            yield (), kwargs, kwargs.get("attention_mask")
            continue
        if isinstance(batch, (tuple, list)):
            if not batch:
                raise ValueError("inputs yielded an empty batch.")
            batch = batch[0]
        if isinstance(batch, np.ndarray):
            batch = torch.from_numpy(batch)
        yield (_to(torch, batch, device),), {}, None


def _to(torch, value, device):
    return value.to(device) if torch.is_tensor(value) else value


# ---------------------------------------------------------------------------
# Reducing outputs to samples and streaming their moments.


class _Stream:
    """Streamed moments of chosen layers (views) and pairs of them.

    ``views`` are ``(model index, layer name)``; ``pairs`` the ``(i, j)``
    of views that are compared. Dense layers keep every view's mean and
    Gram matrix and each pair's cross-products (one :class:`PairMoments`);
    with ``fourier``, each pair keeps FourierCCA's spectral moments. With
    ``folds``, one set of moments per fold.
    """

    def __init__(
        self, models, views, pairs, labels, *, conv, tokens, folds, output, fourier
    ):
        self.run_ = _Run(models, output=output)
        self.views = views
        self.compared = pairs
        own = [(i, i) for i in range(len(views))]
        self.pairs = list(dict.fromkeys(own + [p for p in pairs if p[0] != p[1]]))
        self.labels = labels
        self.conv = conv
        self.tokens = tokens
        self.folds = folds
        self.fourier = fourier
        self.n_folds = folds or 1
        self.moments = [None] * self.n_folds
        self.eps = None
        self.widths = None
        self.seen = 0

    def run(self, inputs, *, batch_size, device, progress):
        torch = _torch()
        batches = self.run_.batches(
            inputs, batch_size=batch_size, device=device, progress=progress
        )
        # closing: an error raised here, between batches, must still remove
        # the hooks and restore the modes at once (the generator's finally).
        with closing(batches):
            for outputs, mask in batches:
                self._add_batch(torch, outputs, mask)
        if self.seen == 0:
            raise ValueError("inputs yielded no batch: there is nothing to compare.")
        if any(m is None for m in self.moments):
            raise ValueError(
                f"cv={self.folds} folds but only {self.seen} samples; give more "
                "inputs or fewer folds."
            )
        self.moments = [self._to_host(m) for m in self.moments]

    def _add_batch(self, torch, outputs, mask):
        """Reduce one batch's outputs to samples and merge their moments."""
        arrays = [
            self._samples(torch, m, name, outputs[m][name], mask)
            for m, name in self.views
        ]
        self._check_rows(arrays)
        if self.eps is None:
            self.eps = [_linalg.input_eps(outputs[m][name]) for m, name in self.views]
            self.widths = [a.shape[1] if a.ndim == 2 else a.shape[1:] for a in arrays]
            if self.fourier:
                self._start_fourier(arrays)
        rows = arrays[0].shape[0]
        for f in range(self.n_folds):
            part = arrays
            if self.folds:
                index = torch.arange(
                    self.seen, self.seen + rows, device=arrays[0].device
                )
                keep = index % self.folds == f
                if not bool(keep.any()):
                    continue
                part = [a[keep] for a in arrays]
            self.moments[f] = self._merge(
                self.moments[f], self._batch(part), in_place=True
            )
        self.seen += rows

    def _samples(self, torch, m, name, t, mask):
        """A layer's batch output as float64 samples x features (or maps)."""
        acc = torch.float64 if t.device.type != "mps" else torch.float32
        if t.ndim == 3 and self.run_.is_conv1d(m, name):
            t = t[:, :, None, :]  # (N, C, L) is an (N, C, 1, L) map
        if t.ndim == 1:
            return t.to(acc)[:, None]
        if t.ndim == 2:
            return t.to(acc)
        if t.ndim == 4:
            if self.conv == "pool" and not self.fourier:
                return _spatial_mean(torch, t, acc)
            maps = t.permute(0, 2, 3, 1)
            if self.fourier:
                return maps.to(acc)
            return maps.reshape(maps.shape[0], -1).to(acc)
        if t.ndim == 3:
            return _token_samples(t.to(acc), self.tokens, mask, name)
        raise ValueError(
            f"Layer {name!r} has outputs of shape {tuple(t.shape)}: only "
            "(n, features), (n, tokens, features) and (N, C, H, W) outputs can be "
            "compared."
        )

    def _check_rows(self, arrays):
        counts = {a.shape[0] for a in arrays}
        if len(counts) > 1:
            found = ", ".join(
                f"{label}: {a.shape[0]}"
                for label, a in zip(self.labels, arrays, strict=True)
            )
            raise ValueError(
                f"The compared layers give different numbers of samples for the "
                f"same batch ({found}). Every layer must hold one row per sample "
                "(with tokens='flatten', one per token of the same sequences)."
            )

    # Dense layers: one PairMoments of every view and pair.

    def _batch(self, arrays):
        if self.fourier:
            # A dense layer is a 1x1 map.
            arrays = [a if a.ndim == 4 else a[:, None, None, :] for a in arrays]
            return {
                (i, j): fn[0](arrays[i], arrays[j])
                for (i, j), fn in self._fourier_fns.items()
            }
        # On the CPU, NumPy's `a.T @ a` runs as SYRK (half the work of
        # torch's GEMM for a Gram matrix, measured 2x faster); the views
        # share the tensors' memory.
        arrays = [a.numpy() if a.device.type == "cpu" else a for a in arrays]
        return _linalg.pair_moments(arrays, self.pairs)

    def _merge(self, a, b, *, in_place=False):
        if a is None:
            return b
        if self.fourier:
            return {key: fn[1](a[key], b[key]) for key, fn in self._fourier_fns.items()}
        # In place only for a running total of the stream: the folds'
        # moments are merged again for each held-out fold.
        return _linalg.merge_pair_moments(a, b, in_place=in_place)

    def _to_host(self, moments):
        if self.fourier:
            # Accumulated (and merged) where the activations are; the
            # per-pair fits and held-out scores below work on the host.
            return {key: moments_to_host(m) for key, m in moments.items()}
        return _linalg.PairMoments(
            moments.n_samples,
            tuple(_host(m) for m in moments.means),
            {key: _host(c) for key, c in moments.products.items()},
        )

    # Conv maps with FourierCCA: the spectral moments of each pair.

    def _start_fourier(self, arrays):
        def shape(a):
            return tuple(a.shape[1:]) if a.ndim == 4 else (1, 1, a.shape[1])

        self._fourier_fns = {}
        self._fourier_maps = [a.ndim == 4 for a in arrays]
        for i, j in self.compared:
            est = FourierCCA()
            self._fourier_fns[i, j] = est._moment_functions_for(
                shape(arrays[i]), shape(arrays[j])
            )
        self._fourier_shapes = [shape(a) for a in arrays]

    # Fitting.

    def _training(self, held_out):
        """Moments of every fold but ``held_out`` (all, when None)."""
        merged = None
        for f, m in enumerate(self.moments):
            if f != held_out:
                merged = self._merge(merged, m)
        return merged

    def matrix(self, estimator, rows, cols, *, mirror=False):
        """Similarities of views ``rows`` × ``cols``, in-sample or cross-validated."""
        out = np.full((len(rows), len(cols)), np.nan)
        tasks = []
        for a, i in enumerate(rows):
            for b, j in enumerate(cols):
                if mirror and i > j:
                    continue
                tasks.append((a, b, i, j))
        held_out = range(self.n_folds) if self.folds else [None]
        totals = np.zeros(len(tasks))
        for fold in held_out:
            training = self._training(fold)
            views = self._views(training)
            for t, (_, _, i, j) in enumerate(tasks):
                with _naming(estimator, self.labels[i], self.labels[j]):
                    fitted = self._fit(estimator, training, views, i, j)
                    if fold is None:
                        totals[t] += similarity_of(fitted, None, None)
                    else:
                        totals[t] += _held_out_score(
                            fitted, self._pair(self.moments[fold], i, j)
                        )
        for t, (a, b, _, _) in enumerate(tasks):
            out[a, b] = totals[t] / len(held_out)
            if mirror:
                out[b, a] = out[a, b]
        return out

    def column_matrix(self, estimator, rows, target):
        """Similarities of views ``rows`` with each column of view ``target``."""
        moments = self.moments[0]
        n = moments.n_samples
        mean, cross = moments.means[target], moments.products[target, target]
        views = self._views(moments)
        out = np.empty((len(rows), cross.shape[0]))
        for c in range(cross.shape[0]):
            keep = slice(c, c + 1)
            column = SharedView.from_moments(
                n, mean[keep], cross[keep, keep], self.eps[target]
            )
            _check_not_constant([column], [f"{self.labels[target]}[:, {c}]"])
            for a, i in enumerate(rows):
                cxy = moments.products[i, target][:, keep]
                with _naming(
                    estimator, self.labels[i], f"{self.labels[target]}[:, {c}]"
                ):
                    fitted = self._fit_views(estimator, views[i], column, cxy)
                out[a, c] = similarity_of(fitted, None, None)
        return out

    def _views(self, moments):
        if self.fourier:
            return None
        views = [
            SharedView.from_moments(
                moments.n_samples, moments.means[i], moments.products[i, i], self.eps[i]
            )
            for i in range(len(self.views))
        ]
        _check_not_constant(views, self.labels)
        return views

    def _pair(self, moments, i, j):
        if self.fourier:
            return moments[i, j]
        return _linalg.moments_of_pair(moments, i, j)

    def _fit(self, estimator, moments, views, i, j):
        if self.fourier:
            est = clone(estimator)
            est._moment_functions_for(self._fourier_shapes[i], self._fourier_shapes[j])
            return est._fit_from_moments(moments[i, j], eps=(self.eps[i], self.eps[j]))
        cxy = self._pair(moments, i, j).cxy
        return self._fit_views(estimator, views[i], views[j], cxy)

    @staticmethod
    def _fit_views(estimator, view_x, view_y, cxy):
        if supports_shared_views(estimator):
            return fit_pair(estimator, view_x, view_y, cxy)
        est = clone(estimator)
        est._moment_functions_for((view_x.n_features,), (view_y.n_features,))
        moments = _linalg.Moments(
            view_x.n_samples, view_x.mean, view_y.mean, view_x.cross, view_y.cross, cxy
        )
        return est._fit_from_moments(moments, eps=(view_x.eps, view_y.eps))


def _spatial_mean(torch, t, acc):
    """Mean over (H, W) of (N, C, H, W) maps, summed in ``acc``.

    Straight from PyTorch's layout, with no channels-last or float64 copy
    of the maps. On the CPU NumPy's buffered ``sum(dtype=float64)`` is used:
    measured 7x faster than torch's, which casts the whole map first (the
    cast cost as much as a small CNN's forward pass).
    """
    n, c, h, w = t.shape
    if t.device.type == "cpu" and acc == torch.float64:
        sums = t.numpy().reshape(n, c, h * w).sum(axis=2, dtype=np.float64)
        return torch.from_numpy(sums / (h * w))
    return t.sum(dim=(2, 3), dtype=acc) / (h * w)


def _held_out_score(fitted, moments):
    try:
        return fitted._score_moments(moments)
    except NotImplementedError as exc:
        raise ValueError(f"cv is not available: {exc}") from exc


def _host(a):
    return np.asarray(_array_api.to_numpy(a), dtype=np.float64)


def _token_samples(t, tokens, mask, name):
    """(n, tokens, features) to samples: mean, last or every (unmasked) token."""
    if mask is not None and mask.ndim == 2 and mask.shape == t.shape[:2]:
        keep = mask.to(t.device).bool()
    else:
        if mask is not None:
            raise ValueError(
                f"Layer {name!r} has {t.shape[1]} tokens per sequence but the "
                f"batch's attention_mask has shape {tuple(mask.shape)}; compare "
                "layers whose outputs are the masked sequences."
            )
        keep = None
    if tokens == "flatten":
        return t.reshape(-1, t.shape[2]) if keep is None else t[keep]
    if keep is None:
        return t.mean(dim=1) if tokens == "mean" else t[:, -1]
    weights = keep.to(t.dtype)
    counts = weights.sum(dim=1)
    if bool((counts == 0).any()):
        raise ValueError(
            "A sequence of the batch is all padding (its attention_mask is all "
            "0): it has no token to compare."
        )
    if tokens == "mean":
        return (t * weights[:, :, None]).sum(dim=1) / counts[:, None]
    # The last unmasked token of each sequence (right or left padding).
    positions = weights * (1 + t.new_tensor(range(t.shape[1]), dtype=t.dtype))
    last = positions.argmax(dim=1)
    return t[range(t.shape[0]), last]
