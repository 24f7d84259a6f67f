"""The ``sklearn-svcca`` command line (also ``python -m sklearn_svcca``).

``sklearn-svcca demo`` trains two small networks and compares their layers;
``sklearn-svcca compare A B`` compares two activation files. A mistake in the
command or the data prints one line that names it and exits with status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import numpy as np

EXIT_USAGE = 2

_METHODS = ("cca", "svcca", "pwcca", "fourier", "cka", "cka-debiased", "procrustes")
_NAMES = {"cca": "CCA", "svcca": "SVCCA", "pwcca": "PWCCA", "fourier": "FourierCCA"}
_SIMILARITY = {
    "cca": "mean canonical correlation",
    "svcca": "mean canonical correlation of the SVD-reduced views",
    "pwcca": "projection-weighted mean, weights from A",
    "fourier": "mean canonical correlation over spatial frequencies",
    "cka": "linear CKA",
    "cka-debiased": "linear CKA from the unbiased HSIC estimator",
    "procrustes": "cosine of the angular Procrustes distance",
}


class UsageError(Exception):
    """A mistake in the command or its data, reported in one line."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before the error; one line that
    # names the problem and points at --help is easier to read in a log.
    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


# ----------------------------------------------------------------- parsing


def _svd_dims(text):
    """``N``, ``F`` or ``X,Y``: SVCCA's ``svd_dims`` from the command line."""
    parts = text.split(",")
    if len(parts) > 2:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not N, F or X,Y: give one value for both views or two "
            "separated by a comma"
        )
    values = []
    for part in parts:
        part = part.strip()
        try:
            value = int(part)
        except ValueError:
            try:
                value = float(part)
            except ValueError:
                value = None
        if isinstance(value, int) and value >= 1:
            values.append(value)
        elif isinstance(value, float) and 0 < value <= 1:
            values.append(value)
        else:
            raise argparse.ArgumentTypeError(
                f"{part!r} is neither a number of directions (an integer >= 1) "
                "nor a fraction of variance in (0, 1], e.g. 20 or 0.99"
            )
    return values[0] if len(values) == 1 else tuple(values)


def _int_at_least(minimum, what, example):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {what}: give an integer >= {minimum}, e.g. {example}"
            )
        return value

    return parse


_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def _memory_size(text):
    """``8G``, ``500M``, ``1.5T`` or a number of bytes."""
    number = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = number[-1:] if number[-1:] in _UNITS else ""
    try:
        value = float(number[: len(number) - len(unit)]) * _UNITS[unit]
    except ValueError:
        value = 0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an amount of memory: give a number with K, M, G or "
            "T, e.g. 8G"
        )
    return int(value)


_folds = _int_at_least(2, "a number of folds", 5)
_epochs = _int_at_least(1, "a number of epochs", 50)


def _layer_sizes(text):
    try:
        sizes = tuple(int(s) for s in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer widths, e.g. 64,64,64"
        )
    return sizes


_DEMO_EPILOG = """\
examples:
  sklearn-svcca demo
  sklearn-svcca demo --plot demo.png
  sklearn-svcca demo --hidden-layers 32,32 --max-iter 50 --cv 3

columns of the table, for each method:
  in    in-sample similarity: the estimator's similarity_ on all test images
  cv    held-out similarity: mean score on the test folds of a shuffled
        K-fold split (cross_val_score); chance correlations do not carry over
        (CKA learns no map: its cv is CKA on each test fold)
  base  random baseline: in-sample similarity after shuffling B's images,
        which keeps each layer's statistics and destroys only the pairing
"""

_REPORTING = """\
which number to report (the measure, in-sample or held-out, the baseline) and
how to choose svd_dims: see the guide "Which number to report" in the
documentation (docs/reporting.rst in the source tree).
"""

_COMPARE_EPILOG = """\
examples:
  sklearn-svcca compare layer_a.npy layer_b.npy
  sklearn-svcca compare a.npy b.npy --method pwcca --cv 5 --json
  sklearn-svcca compare a.npy b.npy --method svcca --svd-dims 20
  sklearn-svcca compare acts.npz acts.npz --key model0 --key model1
  sklearn-svcca compare a.csv b.csv --neurons-first
  sklearn-svcca compare conv_a.npy conv_b.npy --method fourier
  sklearn-svcca compare torch_a.npy torch_b.npy --method fourier --channels-first
  sklearn-svcca compare a.npy b.npy --method cka-debiased

files:
  .npy  one array
  .npz  several arrays: choose one with --key NAME (not needed if it holds one)
  .csv  comma-separated numbers, one row per sample unless --neurons-first;
        a non-numeric first line is taken as a header; no index column

Rows are samples (datapoints) and columns neurons, in the same sample order
in both files. The two layers may have different numbers of neurons.
Convolutional activations (n_samples, height, width, channels) need
--method fourier, or one of the conv recipes (sklearn_svcca.conv) in Python;
PyTorch's (N, C, H, W) maps also need --channels-first.

Before reading the data, the headers of .npy and .npz files are read and
the memory the comparison needs is estimated (the float64 cross-products of
the neurons, p x p, q x q and p x q, and copies of the data); a comparison
that would need more than is available (or than --max-memory) is refused
with the estimate.
"""


def _wrap(text):
    # The epilogs are laid out by hand (RawDescriptionHelpFormatter), so the
    # descriptions are wrapped here.
    return textwrap.fill(text, width=79)


def _build_parser():
    from . import __version__

    parser = _Parser(
        prog="sklearn-svcca",
        description=_wrap(
            "Compare neural-network representations with CCA, SVCCA, PWCCA, CKA "
            "and Procrustes "
            "(scikit-learn estimators)."
        ),
        epilog=(
            "examples:\n  sklearn-svcca demo\n  sklearn-svcca compare a.npy b.npy\n"
            "  sklearn-svcca compare -h\n\n" + _REPORTING
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="train two small networks on digits and compare every layer pair",
        description=_wrap(
            "Train two multi-layer perceptrons with different seeds on "
            "scikit-learn's bundled 8x8 digits (nothing is downloaded), take "
            "the ReLU activations of every hidden layer on the same held-out "
            "images, and print a table comparing every layer of network A "
            "with every layer of network B with CCA, SVCCA and PWCCA."
        ),
        epilog=_DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--seeds",
        type=int,
        nargs=2,
        default=(0, 1),
        metavar=("A", "B"),
        help="random seeds of networks A and B, e.g. 2 3 (default: 0 1)",
    )
    demo.add_argument(
        "--hidden-layers",
        type=_layer_sizes,
        default=(64, 64, 64),
        metavar="W1,W2,...",
        help="widths of the hidden layers, e.g. 32,32 (default: 64,64,64)",
    )
    demo.add_argument(
        "--max-iter",
        type=_epochs,
        default=200,
        metavar="N",
        help="training epochs of each network, e.g. 50 (default: 200)",
    )
    demo.add_argument(
        "--cv",
        type=_folds,
        default=5,
        metavar="K",
        help="folds for the held-out similarity, e.g. 3 (default: 5)",
    )
    demo.add_argument(
        "--svd-dims",
        type=_svd_dims,
        default=0.99,
        metavar="N|F",
        help=(
            "SVCCA's directions kept per layer: a number (e.g. 20) or a "
            "fraction of variance (e.g. 0.99, the default)"
        ),
    )
    demo.add_argument(
        "--plot",
        metavar="FILE",
        help=(
            "also write a figure, e.g. demo.png (heat maps of held-out "
            "similarity and the canonical correlations); needs matplotlib"
        ),
    )
    demo.set_defaults(run=_run_demo)

    compare = commands.add_parser(
        "compare",
        help="compare two activation files",
        description=_wrap(
            "Compare two layers' activations on the same inputs. Prints the "
            "similarity and a summary of the canonical correlations (or JSON "
            "with --json)."
        ),
        epilog=_COMPARE_EPILOG + "\n" + _REPORTING,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("a", metavar="A", help="first layer's activations, e.g. a.npy")
    compare.add_argument(
        "b", metavar="B", help="second layer's activations, e.g. b.npy"
    )
    compare.add_argument(
        "--method",
        choices=_METHODS,
        default="svcca",
        help=(
            "cca: all canonical correlations; svcca: CCA of the top singular "
            "directions; pwcca: projection-weighted CCA; fourier: FourierCCA "
            "for (n, height, width, channels) conv maps; cka: linear CKA; "
            "cka-debiased: linear CKA, debiased; procrustes: angular "
            "Procrustes shape metric (default: svcca), e.g. --method pwcca"
        ),
    )
    compare.add_argument(
        "--svd-dims",
        type=_svd_dims,
        metavar="N|F",
        help=(
            "svcca only: directions kept per layer, a number (e.g. 20), a "
            "fraction of variance (e.g. 0.99, the default) or one per layer "
            "(e.g. 20,30)"
        ),
    )
    compare.add_argument(
        "--cv",
        type=_folds,
        metavar="K",
        help=(
            "also report the held-out similarity: mean score on the test folds "
            "of a shuffled K-fold split, e.g. --cv 5"
        ),
    )
    compare.add_argument(
        "--neurons-first",
        action="store_true",
        help=(
            "the files are (neurons, datapoints), the original SVCCA code's "
            "layout, rather than (datapoints, neurons)"
        ),
    )
    compare.add_argument(
        "--channels-first",
        action="store_true",
        help=(
            "fourier only: 4-D files are (n_samples, channels, height, width), "
            "PyTorch's (N, C, H, W), rather than (n_samples, height, width, "
            "channels)"
        ),
    )
    compare.add_argument(
        "--max-memory",
        type=_memory_size,
        metavar="SIZE",
        help=(
            "refuse a comparison estimated to need more memory than this, e.g. "
            "8G or 500M (default: the memory available when it starts; more "
            "than the machine has gets the process killed)"
        ),
    )
    compare.add_argument(
        "--key",
        action="append",
        metavar="NAME",
        help=(
            "array to read from .npz files: once for both files, or twice "
            "(A's, then B's), e.g. --key model0 --key model1"
        ),
    )
    compare.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON, with all canonical correlations",
    )
    compare.set_defaults(run=_run_compare)
    return parser


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    args = _build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"sklearn-svcca {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (e.g. ``| head``) stopped early: not an error of ours.
        # Point stdout at devnull so the interpreter's final flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# -------------------------------------------------------------------- demo


def _demo_estimators(svd_dims):
    from . import CCA, CKA, PWCCA, SVCCA

    return {
        "CCA": CCA(),
        "SVCCA": SVCCA(svd_dims=svd_dims),
        "PWCCA": PWCCA(),
        "CKA": CKA(),
    }


def _run_demo(args):
    from ._demo import run_demo

    # Check the figure can be written before spending time on training.
    figure = _new_figure(args.plot) if args.plot else None
    result = run_demo(
        _demo_estimators(args.svd_dims),
        seeds=tuple(args.seeds),
        hidden_layer_sizes=args.hidden_layers,
        max_iter=args.max_iter,
        cv=args.cv,
    )
    print(_format_demo(result))
    if figure is not None:
        from ._demo import plot_demo

        plot_demo(result, figure)
        figure.savefig(args.plot, dpi=100)
        print(f"\nfigure written to {args.plot}")
    return 0


def _new_figure(path):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib, which is not installed: pip install matplotlib"
        ) from None
    path = Path(path)
    figure = Figure(figsize=(13, 8), layout="constrained")
    formats = figure.canvas.get_supported_filetypes()
    if path.suffix.lstrip(".").lower() not in formats:
        raise UsageError(
            f"--plot {path}: unknown image format {path.suffix!r}; use one of "
            + ", ".join(f".{ext}" for ext in sorted(formats))
        )
    if not path.parent.is_dir():
        raise UsageError(f"--plot {path}: directory {path.parent} does not exist")
    return figure


def _format_demo(result):
    net_a, net_b = result.networks
    widths = "-".join(str(w) for w in result.hidden_layer_sizes)
    lines = [
        f"Two MLPs with hidden layers {widths} (ReLU), trained on "
        f"{result.n_train} of scikit-learn's 8x8 digits",
        f"with seeds {net_a.seed} (A) and {net_b.seed} (B); test accuracy "
        f"{net_a.accuracy:.3f} (A) and {net_b.accuracy:.3f} (B).",
        f"Every hidden layer of A against every hidden layer of B, on the same "
        f"{result.n_test} test images.",
        "",
    ]
    methods = result.methods
    group = 21
    lines.append("layers    " + "".join(f"{m:<{group}}" for m in methods).rstrip())
    lines.append("A   B     " + ("in    cv    base   " + "  ") * len(methods))
    lines[-1] = lines[-1].rstrip()
    rows = {}
    for p in result.pairs:
        rows.setdefault((p.layer_a, p.layer_b), {})[p.method] = p
    for (i, j), by_method in rows.items():
        cells = "".join(
            f"{p.in_sample:<6.3f}{p.held_out:<6.3f}{p.baseline:<6.3f}   "
            for p in (by_method[m] for m in methods)
        )
        lines.append(f"h{i + 1:<3d}h{j + 1:<5d}" + cells.rstrip())
    lines += [
        "",
        f"in:   in-sample similarity (similarity_ on all {result.n_test} images)",
        f"cv:   held-out similarity (mean score over {result.cv} shuffled folds)",
        "base: in-sample similarity with B's images shuffled (random baseline)",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------- compare


def _run_compare(args):
    keys = args.key or []
    if len(keys) > 2:
        raise UsageError(
            f"--key given {len(keys)} times: give it once (for both files) or "
            "twice (A's array, then B's)"
        )
    if keys and not any(_suffix(p) == ".npz" for p in (args.a, args.b)):
        raise UsageError(
            "--key selects an array in a .npz file; neither A nor B is one"
        )
    if len(keys) == 2:
        for label, path in (("A", args.a), ("B", args.b)):
            if _suffix(path) != ".npz":
                raise UsageError(
                    f"--key given twice, one per file, but {label} ({path}) is not a "
                    ".npz file; give --key once to apply it to the .npz file only"
                )
    # One --key serves every .npz file; two are A's and B's.
    key_a = keys[0] if keys else None
    key_b = keys[-1] if keys else None
    # Mistakes in the options are reported before any file is read.
    estimator = _make_estimator(args.method, args.svd_dims, args.channels_first)
    files = [("A", args.a, key_a), ("B", args.b, key_b)]
    # The headers first: nothing is loaded that cannot be compared.
    headers = [_header(label, Path(path), key) for label, path, key in files]
    _check_memory(args, headers)
    try:
        A, B = (_load(label, Path(path), key, args) for label, path, key in files)
    except MemoryError:
        raise UsageError(_out_of_memory(args, headers, "reading the files")) from None
    loaded = None in headers
    if loaded:
        # A .csv file has no header: check its shape now, before fitting.
        headers = [(A.shape, A.dtype), (B.shape, B.dtype)]
        _check_memory(args, headers, loaded=True)
    _check_same_samples(A, B, args)
    _warn_layout(A, B, args)
    from .exceptions import DataFormatWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator.fit(A, B)
        except ValueError as exc:
            raise UsageError(_one_line(exc)) from None
        except MemoryError:
            raise UsageError(_out_of_memory(args, headers, "fitting", loaded)) from None
    fit_warnings = list(
        dict.fromkeys(
            _one_line(w.message)
            for w in caught
            # The layout was checked above, in the command line's words.
            if issubclass(w.category, UserWarning)
            and not issubclass(w.category, DataFormatWarning)
        )
    )
    held_out = None
    if args.cv is not None:
        if args.cv > A.shape[0]:
            raise UsageError(
                f"--cv {args.cv}: more folds than the {A.shape[0]} samples"
            )
        from ._demo import held_out_scores

        # Each training fold is smaller than the data, so it repeats the
        # sample-size warning of the full fit (already reported) in noisier
        # words.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                held_out = held_out_scores(estimator, A, B, args.cv)
            except ValueError as exc:
                raise UsageError(f"--cv {args.cv}: {_one_line(exc)}") from None
            except MemoryError:
                raise UsageError(
                    _out_of_memory(args, headers, f"--cv {args.cv}", loaded)
                ) from None

    result = _compare_result(args, estimator, A, B, held_out, fit_warnings)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_format_compare(result))
    for message in fit_warnings:
        print(f"warning: {message}", file=sys.stderr)
    return 0


def _suffix(path):
    return Path(path).suffix.lower()


def _check_path(label, path):
    if not path.exists():
        raise UsageError(f"{label}: no such file: {path}")
    if path.is_dir():
        raise UsageError(f"{label}: {path} is a directory, not an activation file")
    if _suffix(path) not in (".npy", ".npz", ".csv"):
        raise UsageError(
            f"{label}: {path} has an unknown file type {path.suffix!r}; use "
            ".npy, .npz (with --key) or .csv"
        )


def _npy_stream(label, path, key, stack):
    """A binary stream of the ``.npy`` array in ``path`` and its size in bytes.

    ``.npz`` members are opened in the archive, so that their header can be
    read before anything is decompressed. ``stack`` closes what is opened.
    """
    if _suffix(path) == ".npy":
        return stack.enter_context(open(path, "rb")), path.stat().st_size
    archive = stack.enter_context(zipfile.ZipFile(path))
    members = archive.namelist()
    names = [m[:-4] if m.endswith(".npy") else m for m in members]
    if key is None:
        if len(names) != 1:
            raise UsageError(
                f"{label}: {path} holds {len(names)} arrays "
                f"({', '.join(names) or 'none'}); choose one with --key NAME"
            )
        key = names[0]
    if key not in names:
        raise UsageError(
            f"{label}: {path} has no array {key!r}; it has: {', '.join(names)}"
        )
    member = members[names.index(key)]
    if not member.endswith(".npy"):
        raise UsageError(
            f"{label}: member {member!r} of {path} is not a .npy array (np.savez "
            "writes one .npy member per array); save the activations with "
            "np.savez or choose another member with --key"
        )
    return stack.enter_context(archive.open(member)), archive.getinfo(member).file_size


def _header(label, path, key):
    """``(shape, dtype)`` from a .npy or .npz file's header; None for .csv.

    Checks that the data the header announces are there, so that a
    truncated or corrupt file is not allocated.
    """
    _check_path(label, path)
    if _suffix(path) == ".csv":
        return None
    try:
        with contextlib.ExitStack() as stack:
            stream, size = _npy_stream(label, path, key, stack)
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            else:  # pragma: no cover - version 3.0 (utf-8 field names)
                shape, _, dtype = np.lib.format._read_array_header(stream, version)
            offset = stream.tell()
    except UsageError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{label}: cannot read {path}: {_one_line(exc)}") from None
    if dtype.hasobject:
        raise UsageError(
            f"{label}: {path} holds Python objects (a pickled {dtype} array), not "
            "numbers; save the activations as a numeric array"
        )
    needed = math.prod(shape) * dtype.itemsize
    if size - offset < needed:
        raise UsageError(
            f"{label}: {path} is truncated or corrupt: its header announces a "
            f"{' x '.join(map(str, shape))} {dtype} array ({_bytes(needed)}) but "
            f"only {_bytes(max(size - offset, 0))} of data follow"
        )
    return tuple(int(s) for s in shape), dtype


def _load(label, path, key, args):
    """Read one activation file as a (samples, neurons) float array."""
    try:
        if _suffix(path) == ".csv":
            array = _load_csv(path)
        else:
            with contextlib.ExitStack() as stack:
                stream, _ = _npy_stream(label, path, key, stack)
                array = np.lib.format.read_array(stream, allow_pickle=False)
    except UsageError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{label}: cannot read {path}: {_one_line(exc)}") from None
    return _as_activations(label, path, array, args)


def _load_csv(path):
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    try:
        [float(cell) for cell in first.split(",")]
        header = 0
    except ValueError:
        header = 1
    return np.loadtxt(path, delimiter=",", skiprows=header, ndmin=2, dtype=np.float64)


def _as_activations(label, path, array, args):
    allow_4d = args.method == "fourier"
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    elif array.dtype.kind == "c":
        raise UsageError(
            f"{label}: {path} holds complex numbers; activations must be real"
        )
    elif array.dtype.kind != "f":
        raise UsageError(f"{label}: {path} holds {array.dtype} values, not numbers")
    if array.ndim == 1:
        # One neuron over the samples, whichever way round the file was.
        array = array.reshape(-1, 1)
    elif array.ndim == 2:
        if args.neurons_first:
            array = array.T
    elif array.ndim == 4 and allow_4d:
        if args.neurons_first:
            raise UsageError(
                f"--neurons-first applies to 2-D (neurons, datapoints) files; "
                f"{label} ({path}) is 4-D, which is (n_samples, height, width, "
                "channels), or (n_samples, channels, height, width) with "
                "--channels-first"
            )
    elif array.ndim == 4:
        raise UsageError(
            f"{label}: {path} has shape {array.shape}, convolutional activations "
            "(n_samples, height, width, channels); use --method fourier (with "
            "--channels-first for PyTorch's (N, C, H, W)), or in Python flatten "
            "or pool them with the conv recipes (sklearn_svcca.conv) before cca, "
            "svcca or pwcca"
        )
    else:
        expected = "2-D or 4-D" if allow_4d else "2-D (samples, neurons)"
        raise UsageError(
            f"{label}: {path} has shape {array.shape}; expected a {expected} array"
        )
    if array.shape[0] < 2:
        raise UsageError(
            f"{label}: {path} has {array.shape[0]} sample(s); at least 2 are "
            "needed to measure correlation"
        )
    if array.size == 0:
        raise UsageError(f"{label}: {path} has no neurons (shape {array.shape})")
    finite = np.isfinite(array)
    if not finite.all():
        bad = np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        what = "NaN" if np.isnan(array[first]) else "infinite"
        where = (
            f"sample {first[0]}, neuron {first[1]}"
            if array.ndim == 2
            else f"index {first}"
        )
        raise UsageError(
            f"{label}: {path} contains {len(bad)} NaN or infinite value(s), the "
            f"first ({what}) at {where}; remove or impute them first"
        )
    return array


def _check_same_samples(A, B, args):
    if A.shape[0] == B.shape[0]:
        return
    message = (
        f"A ({args.a}) has {A.shape[0]} samples (rows) but B ({args.b}) has "
        f"{B.shape[0]}: both files must hold activations on the same inputs, "
        "in the same order"
    )
    if A.ndim == B.ndim == 2:
        if A.shape[1] == B.shape[1]:
            # Both the other way round.
            message += (
                "; the files look like (datapoints, neurons), so drop --neurons-first"
                if args.neurons_first
                else "; if the files are (neurons, datapoints) as in the "
                "original SVCCA code, add --neurons-first"
            )
        elif A.shape[1] == B.shape[0] or A.shape[0] == B.shape[1]:
            # One of them the other way round: --neurons-first turns both.
            wrong, right = ("A", "B") if A.shape[1] == B.shape[0] else ("B", "A")
            n = B.shape[0] if wrong == "A" else A.shape[0]
            message += (
                f"; {wrong} has {n} columns, as many as {right} has rows: if "
                f"{wrong} is (neurons, datapoints) and {right} (datapoints, "
                f"neurons), save {wrong} transposed, because --neurons-first "
                "transposes both files"
            )
    raise UsageError(message)


def _warn_layout(A, B, args):
    """Warn, in the command line's words, about maps that look channels first."""
    if args.method != "fourier" or args.channels_first:
        return
    from ._validation import looks_channels_first

    for label, path, maps in (("A", args.a, A), ("B", args.b, B)):
        if maps.ndim == 4 and looks_channels_first(maps.shape):
            _, a, b, c = maps.shape
            print(
                f"warning: {label} ({path}) has shape {maps.shape}, read as "
                f"{a}x{b} maps of {c} channels; its last two axes are equal, as "
                f"in PyTorch's (N, C, H, W) layout ({a} channels of {b}x{c}): if "
                "so, add --channels-first",
                file=sys.stderr,
            )


# ------------------------------------------------------------------ memory


def _available_memory():
    """Bytes of memory available now (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def _views_of(args, headers, loaded=False):
    """The two arrays' shapes as the fit sees them, and their data's bytes.

    Conv maps are (n, height, width, channels) and, for --method fourier, a
    2-D layer is a 1x1 map. None when a header is missing (.csv, whose size
    bounds its array) or the shapes will be refused when loaded.
    ``loaded``: the shapes are those of the arrays as loaded, already
    (samples, neurons).
    """
    shapes = []
    data = 0
    for header in headers:
        if header is None:
            return None
        shape, dtype = header
        if len(shape) == 1:
            shape = (shape[0], 1)
        if len(shape) == 2 and args.neurons_first and not loaded:
            shape = shape[::-1]
        if len(shape) == 4 and args.channels_first:
            shape = (shape[0], shape[2], shape[3], shape[1])
        if args.method == "fourier" and len(shape) == 2:
            shape = (shape[0], 1, 1, shape[1])
        if len(shape) != (4 if args.method == "fourier" else 2):
            return None
        shapes.append(shape)
        # The file's array, and the float64 copy the fit computes from.
        data += math.prod(shape) * (dtype.itemsize + 8)
    return shapes, data


# Peak memory of a fit: the cross-products (p x p, q x q, p x q), kept all
# along, and the decomposition of one view at a time (eigenvectors, bases,
# LAPACK workspace): a few copies of the wider view's block. Measured peak
# RSS of a whole compare (2026-12-04): 3.0 GiB for 200 x 8000 float32
# against 200 x 30 (estimated 3.1 GiB), 1.0 GiB for 4000 x 3000 against
# 4000 x 3000 (estimated 1.1 GiB); FourierCCA's batched small blocks need
# one copy, 0.39 GiB for 300 x 8 x 8 x 192 against 160 channels (estimated
# 0.45 GiB). Plus the interpreter and its libraries.
_WORKSPACE_COPIES = 5
_SPECTRAL_WORKSPACE_COPIES = 1
_BASELINE = 256 * 2**20


def _memory_needed(args, headers, loaded=False):
    """Estimated peak bytes of the comparison and what dominates it."""
    views = _views_of(args, headers, loaded)
    if views is None:
        return None
    (x, y), data = views
    if args.method == "fourier":
        # Stacked complex128 products, one (c_x + c_y)² block per solved
        # frequency (half the grid of the smaller map, by symmetry), and the
        # spectra of the data.
        bins = min(x[1], y[1]) * (min(x[2], y[2]) // 2 + 1)
        p, q = x[3], y[3]
        unit, copies = 16 * bins, _SPECTRAL_WORKSPACE_COPIES
        data += 16 * x[0] * bins * (p + q)
        what = f"{bins} frequencies x ({p} + {q})² complex cross-products"
    else:
        p, q = x[1], y[1]
        unit, copies = 8, _WORKSPACE_COPIES
        what = f"the {p} x {p}, {q} x {q} and {p} x {q} cross-products in float64"
    squares = unit * (p * p + q * q + p * q + copies * max(p, q) ** 2)
    return squares + data + _BASELINE, what


def _check_memory(args, headers, loaded=False):
    estimate = _memory_needed(args, headers, loaded)
    if estimate is None:
        return
    needed, what = estimate
    limit = args.max_memory
    source = "--max-memory"
    if limit is None:
        limit, source = _available_memory(), "available"
    if limit is not None and needed > limit:
        raise UsageError(
            f"comparing A and B with --method {args.method} would need about "
            f"{_bytes(needed)} of memory ({what}, and the data), more than the "
            f"{_bytes(limit)} {source}; {_what_helps(args)}"
        )


def _what_helps(args):
    if args.method == "fourier":
        return (
            "use fewer channels, or smaller maps (resize_maps, "
            "spatial_mean_pool in sklearn_svcca.conv)"
        )
    return (
        "compare fewer neurons: drop dead units or keep a random subset, pool "
        "conv maps over space (sklearn_svcca.conv.spatial_mean_pool), or "
        "reduce each layer beforehand (e.g. PCA to a few hundred components); "
        "or raise --max-memory on a machine that has it"
    )


def _out_of_memory(args, headers, during, loaded=False):
    estimate = _memory_needed(args, headers, loaded)
    about = f" (about {_bytes(estimate[0])} estimated)" if estimate else ""
    return f"ran out of memory while {during}{about}; {_what_helps(args)}"


def _bytes(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return None  # pragma: no cover


def _make_estimator(method, svd_dims, channels_first=False):
    if svd_dims is not None and method != "svcca":
        raise UsageError(
            f"--svd-dims applies to --method svcca only, not --method {method}"
        )
    if channels_first and method != "fourier":
        raise UsageError(
            "--channels-first applies to 4-D maps with --method fourier, not "
            f"--method {method}"
        )
    import sklearn_svcca

    if method == "svcca":
        return (
            sklearn_svcca.SVCCA()
            if svd_dims is None
            else sklearn_svcca.SVCCA(svd_dims=svd_dims)
        )
    if method == "fourier":
        return sklearn_svcca.FourierCCA(
            data_format="channels_first" if channels_first else "channels_last"
        )
    if method.startswith("cka"):
        return sklearn_svcca.CKA(debiased=method == "cka-debiased")
    if method == "procrustes":
        return sklearn_svcca.Procrustes()
    return getattr(sklearn_svcca, _NAMES[method])()


def _one_line(message):
    return " ".join(str(message).split())


def _compare_result(args, estimator, A, B, held_out, fit_warnings):
    similarity = float(estimator.similarity_)

    def view(path, X, prefix):
        info = {"file": str(path), "shape": list(X.shape)}
        for name in ("rank", "svd_dims"):
            value = getattr(estimator, f"{prefix}_{name}_", None)
            if value is not None:
                info[name] = int(value)
        return info

    return {
        "method": args.method,
        "estimator": repr(estimator),
        "n_samples": int(A.shape[0]),
        "a": view(args.a, A, "x"),
        "b": view(args.b, B, "y"),
        "similarity": similarity,
        "similarity_is": _SIMILARITY[args.method],
        "held_out": None
        if held_out is None
        else {
            "folds": args.cv,
            "mean": float(held_out.mean()),
            "std": float(held_out.std()),
            "scores": [float(s) for s in held_out],
        },
        "canonical_correlations": _correlation_summary(estimator),
        "angular_distance": (
            float(estimator.angular_distance_)
            if hasattr(estimator, "angular_distance_")
            else None
        ),
        "warnings": fit_warnings,
    }


def _correlation_summary(estimator):
    """The fitted canonical correlations, summarised; None for CKA, Procrustes."""
    if not hasattr(estimator, "canonical_correlations_"):
        return None
    rho = np.asarray(estimator.canonical_correlations_, dtype=float)
    quantiles = np.quantile(rho, [0.0, 0.25, 0.5, 0.75, 1.0])
    return {
        "count": int(rho.size),
        "mean": float(rho.mean()),
        **dict(
            zip(("min", "q25", "median", "q75", "max"), quantiles.tolist(), strict=True)
        ),
        "values": [float(r) for r in rho],
    }


def _format_compare(result):
    def view(label, info):
        shape = " x ".join(str(s) for s in info["shape"])
        extra = []
        if "rank" in info:
            extra.append(f"rank {info['rank']}")
        if "svd_dims" in info:
            extra.append(f"{info['svd_dims']} SVD directions kept")
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{label:<14}{info['file']}: {shape}{tail}"

    rho = result["canonical_correlations"]
    lines = [
        f"{'method':<14}{result['estimator']}",
        view("A", result["a"]),
        view("B", result["b"]),
        f"{'similarity':<14}{result['similarity']:.4f}  "
        f"(in-sample; {result['similarity_is']})",
    ]
    if result["held_out"] is not None:
        h = result["held_out"]
        lines.append(
            f"{'held-out':<14}{h['mean']:.4f} ± {h['std']:.4f}  "
            f"(mean score over {h['folds']} shuffled cross-validation folds)"
        )
    if result["angular_distance"] is not None:
        lines.append(
            f"{'angle':<14}{result['angular_distance']:.4f} rad  "
            "(angular shape distance, a metric)"
        )
    if rho is None:
        return "\n".join(lines)
    lines.append(
        f"{'correlations':<14}{rho['count']} canonical correlations: "
        f"max {rho['max']:.4f}, q75 {rho['q75']:.4f}, median {rho['median']:.4f}, "
        f"q25 {rho['q25']:.4f}, min {rho['min']:.4f}"
    )
    top = " ".join(f"{r:.3f}" for r in rho["values"][:10])
    more = " ..." if rho["count"] > 10 else ""
    lines.append(f"{'':<14}largest: {top}{more}")
    return "\n".join(lines)
