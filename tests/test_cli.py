"""The ``sklearn-svcca`` command line, driven as a user drives it.

Every test runs ``python -m sklearn_svcca`` in a subprocess on files written
to ``tmp_path``, and checks the numbers it prints against the independent
reference implementations in ``tests/reference.py`` and against the
estimators used directly. Mistakes must give one line on stderr naming the
problem and exit status 2, never a traceback.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.model_selection import KFold, cross_val_score

import sklearn_svcca
from sklearn_svcca import CCA, CKA, PWCCA, SVCCA
from sklearn_svcca._cli import _build_parser, main

import reference

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Relative file names resolve in ``tmp_path``, in and out of process."""
    monkeypatch.chdir(tmp_path)


def run_cli(*args, pythonpath=()):
    """``python -m sklearn_svcca ARGS`` with this checkout importable."""
    path = [*map(str, pythonpath), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
    return subprocess.run(
        [sys.executable, "-m", "sklearn_svcca", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def call_main(capsys, *args):
    """The same command run in this process: ``main(ARGS)``.

    Each interpreter start costs a second or two (importing scikit-learn), so
    every behaviour is driven once through :func:`run_cli` and its variants
    through here; the code path after argument parsing is the same.
    """
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse's own errors, --help, --version
        code = exc.code
    out, err = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out, stderr=err)


def compare_json(capsys, *args):
    result = call_main(capsys, "compare", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_usage_error(proc, *fragments):
    """Exit 2, nothing on stdout, one line on stderr that says what's wrong."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "error:" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def views(rng):
    """Two related layers: a shared 4-D code plus independent noise."""
    z = rng.normal(size=(600, 4))
    A = z @ rng.normal(size=(4, 12)) + 0.5 * rng.normal(size=(600, 12))
    B = z @ rng.normal(size=(4, 9)) + 0.5 * rng.normal(size=(600, 9))
    return A, B


@pytest.fixture
def npy_files(views):
    A, B = views
    np.save("a.npy", A)
    np.save("b.npy", B)
    return "a.npy", "b.npy"


# ----------------------------------------------------------------- help


def _subparsers():
    parser = _build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return parser, action.choices


@pytest.mark.parametrize("command", [[], ["demo"], ["compare"]])
def test_help_documents_every_option_with_an_example(command, capsys):
    if command == ["compare"]:
        proc = run_cli(*command, "--help")
    else:
        proc = call_main(capsys, *command, "--help")
    assert proc.returncode == 0
    parser, subparsers = _subparsers()
    sub = subparsers[command[0]] if command else parser
    examples = proc.stdout.split("examples:")[1]
    for action in sub._actions:
        if action.option_strings in (["-h", "--help"], ["--version"]):
            continue
        name = action.option_strings[0] if action.option_strings else action.metavar
        if name == "COMMAND":
            assert "sklearn-svcca demo" in examples
            assert "sklearn-svcca compare" in examples
            continue
        assert name in proc.stdout
        # An example: in the option's own help, or used in the examples.
        assert "e.g." in (action.help or "") or name in examples, name


def test_version(capsys):
    proc = call_main(capsys, "--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == sklearn_svcca.__version__


# ----------------------------------------------------------------- compare


def test_compare_json_from_the_shell(views, npy_files):
    A, B = views
    proc = run_cli("compare", *npy_files, "--method", "cca", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = json.loads(proc.stdout)
    rho = reference.cca(A, B)[0]
    assert out["estimator"] == "CCA()"
    assert_allclose(out["canonical_correlations"]["values"], rho, atol=1e-8)
    assert out["similarity"] == pytest.approx(rho.mean(), abs=1e-8)


@pytest.mark.parametrize(
    "method, expected",
    [
        ("cca", lambda A, B: reference.cca(A, B)[0]),
        ("svcca", lambda A, B: reference.svcca(A, B, 0.99)),
        ("pwcca", lambda A, B: reference.pwcca(A, B)[2]),
    ],
)
def test_compare_matches_the_reference(method, expected, views, npy_files, capsys):
    A, B = views
    out = compare_json(capsys, *npy_files, "--method", method)
    rho = expected(A, B)
    assert out["method"] == method
    assert out["n_samples"] == 600
    assert out["a"]["shape"] == [600, 12]
    assert out["b"]["shape"] == [600, 9]
    assert_allclose(out["canonical_correlations"]["values"], rho, atol=1e-8)
    summary = out["canonical_correlations"]
    assert summary["count"] == len(rho)
    assert summary["max"] == pytest.approx(rho.max(), abs=1e-8)
    assert summary["min"] == pytest.approx(rho.min(), abs=1e-8)
    assert summary["median"] == pytest.approx(np.median(rho), abs=1e-8)
    if method == "pwcca":
        assert out["similarity"] == pytest.approx(reference.pwcca(A, B)[0], abs=1e-8)
    else:
        assert out["similarity"] == pytest.approx(rho.mean(), abs=1e-8)
    assert out["held_out"] is None
    assert out["warnings"] == []


def test_default_method_is_svcca(views, npy_files, capsys):
    out = compare_json(capsys, *npy_files)
    assert out["method"] == "svcca"
    assert out["estimator"] == "SVCCA()"


def test_compare_svd_dims(views, npy_files, capsys):
    A, B = views
    out = compare_json(capsys, *npy_files, "--svd-dims", "3")
    assert out["estimator"] == "SVCCA(svd_dims=3)"
    assert out["a"]["svd_dims"] == out["b"]["svd_dims"] == 3
    assert_allclose(
        out["canonical_correlations"]["values"], reference.svcca(A, B, 3), atol=1e-8
    )
    out = compare_json(capsys, *npy_files, "--svd-dims", "5,2")
    assert (out["a"]["svd_dims"], out["b"]["svd_dims"]) == (5, 2)
    assert_allclose(
        out["canonical_correlations"]["values"],
        reference.svcca(A, B, 5, 2),
        atol=1e-8,
    )


def test_compare_cross_validation(views, npy_files, capsys):
    A, B = views
    out = compare_json(capsys, *npy_files, "--method", "pwcca", "--cv", "4")
    folds = KFold(4, shuffle=True, random_state=0)
    expected = cross_val_score(PWCCA(), A, B, cv=folds)
    assert out["held_out"]["folds"] == 4
    assert_allclose(out["held_out"]["scores"], expected, atol=1e-10)
    assert out["held_out"]["mean"] == pytest.approx(expected.mean(), abs=1e-10)
    assert out["held_out"]["std"] == pytest.approx(expected.std(), abs=1e-10)


def test_held_out_removes_chance_correlation(rng, capsys):
    # The tutorial's warning: unrelated layers look similar in sample.
    np.save("a.npy", rng.normal(size=(1000, 40)))
    np.save("b.npy", rng.normal(size=(1000, 30)))
    out = compare_json(capsys, "a.npy", "b.npy", "--method", "cca", "--cv", "5")
    assert out["similarity"] > 0.1
    assert abs(out["held_out"]["mean"]) < 0.03


def test_text_output(views, npy_files):
    A, B = views
    proc = run_cli("compare", *npy_files, "--method", "cca", "--cv", "3")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    rho = reference.cca(A, B)[0]
    scores = cross_val_score(CCA(), A, B, cv=KFold(3, shuffle=True, random_state=0))
    assert lines[0].split() == ["method", "CCA()"]
    assert lines[1] == "A             a.npy: 600 x 12 (rank 12)"
    assert lines[2] == "B             b.npy: 600 x 9 (rank 9)"
    assert lines[3].startswith(f"similarity    {rho.mean():.4f}  (in-sample")
    assert lines[4].startswith(
        f"held-out      {scores.mean():.4f} ± {scores.std():.4f}  "
    )
    assert f"{len(rho)} canonical correlations: max {rho.max():.4f}" in lines[5]
    assert lines[6].split()[1:] == [f"{r:.3f}" for r in rho]


def test_neurons_first_is_the_transposed_layout(views, npy_files, capsys):
    A, B = views
    np.save("at.npy", A.T)
    np.save("bt.npy", B.T)
    samples_first = compare_json(capsys, *npy_files, "--method", "pwcca")
    neurons_first = compare_json(
        capsys, "at.npy", "bt.npy", "--method", "pwcca", "--neurons-first"
    )
    for key in ("a", "b"):
        neurons_first[key].pop("file")
        samples_first[key].pop("file")
    assert neurons_first == samples_first
    # The same through the shell, as text.
    proc = run_cli(
        "compare", "at.npy", "bt.npy", "--neurons-first", "--method", "pwcca"
    )
    assert proc.returncode == 0, proc.stderr
    assert f"similarity    {samples_first['similarity']:.4f}" in proc.stdout


def test_npz_and_csv_inputs_give_the_same_result(views, npy_files, capsys):
    A, B = views
    expected = compare_json(capsys, *npy_files, "--method", "cca")

    def same(*args):
        out = compare_json(capsys, *args, "--method", "cca")
        assert_allclose(
            out["canonical_correlations"]["values"],
            expected["canonical_correlations"]["values"],
            atol=1e-12,
        )
        assert out["a"]["shape"] == expected["a"]["shape"]
        assert out["b"]["shape"] == expected["b"]["shape"]

    np.savez("both.npz", first=A, second=B)
    same("both.npz", "both.npz", "--key", "first", "--key", "second")
    # One array per file: no --key needed; one --key serves every .npz.
    np.savez("a.npz", acts=A)
    np.savez("b.npz", acts=B)
    same("a.npz", "b.npz")
    same("a.npz", "b.npz", "--key", "acts")
    same("a.npz", "b.npy", "--key", "acts")
    # CSV with and without a header row, and mixed with .npy.
    np.savetxt("a.csv", A, delimiter=",", fmt="%.17g")
    header = ",".join(f"neuron{j}" for j in range(B.shape[1]))
    np.savetxt("b.csv", B, delimiter=",", header=header, comments="", fmt="%.17g")
    same("a.csv", "b.csv")
    same("a.csv", "b.npy")
    # And through the shell.
    proc = run_cli("compare", "both.npz", "b.csv", "--key", "first", "--method", "cca")
    assert proc.returncode == 0, proc.stderr
    assert f"similarity    {expected['similarity']:.4f}" in proc.stdout


def test_integer_and_float32_files(rng, capsys):
    counts = rng.poisson(3.0, size=(500, 6))
    other = (
        counts[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(500, 4))
    ).astype(np.float32)
    np.save("a.npy", counts)
    np.save("b.npy", other)
    out = compare_json(capsys, "a.npy", "b.npy", "--method", "cca")
    expected = reference.cca(counts, other)[0]
    assert_allclose(out["canonical_correlations"]["values"], expected, atol=1e-8)


def test_one_dimensional_file_is_one_neuron(rng, capsys):
    x = rng.normal(size=300)
    np.save("a.npy", x)
    np.save("b.npy", np.c_[2 * x + 1, rng.normal(size=300)])
    out = compare_json(capsys, "a.npy", "b.npy", "--method", "cca")
    assert out["a"]["shape"] == [300, 1]
    assert out["similarity"] == pytest.approx(1.0, abs=1e-10)


def test_sample_size_warning_is_reported_in_one_line(rng, capsys):
    np.save("a.npy", rng.normal(size=(60, 30)))
    np.save("b.npy", rng.normal(size=(60, 30)))
    proc = run_cli("compare", "a.npy", "b.npy", "--method", "cca")
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("warning: Only 60 samples")
    out = compare_json(capsys, "a.npy", "b.npy", "--method", "cca")
    assert out["warnings"] == [line.removeprefix("warning: ")]


def test_compare_real_activations(tutorial_activations, capsys):
    # The published PWCCA value of the tutorial's MNIST logits (issue 2).
    np.savez("acts.npz", **tutorial_activations)
    out = compare_json(
        capsys, "acts.npz", "acts.npz", "--key", "mnist_model0_logits",
        "--key", "mnist_model1_logits", "--method", "pwcca",
    )  # fmt: skip
    assert out["similarity"] == pytest.approx(0.80744493, abs=1e-6)


def test_fourier_method(rng, capsys):
    A = rng.normal(size=(300, 4, 6, 3))
    B = np.roll(A, 1, axis=1) @ rng.normal(size=(3, 5)) + rng.normal(
        size=(300, 4, 6, 5)
    )
    np.save("a.npy", A)
    np.save("b.npy", B)
    proc = run_cli("compare", "a.npy", "b.npy", "--method", "fourier", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    est = sklearn_svcca.FourierCCA().fit(A, B)
    assert out["a"]["shape"] == [300, 4, 6, 3]
    assert_allclose(
        out["canonical_correlations"]["values"], est.canonical_correlations_, atol=1e-10
    )
    assert out["similarity"] == pytest.approx(est.score(A, B), abs=1e-10)
    out = compare_json(capsys, "a.npy", "b.npy", "--method", "fourier", "--cv", "3")
    expected = cross_val_score(
        sklearn_svcca.FourierCCA(), A, B, cv=KFold(3, shuffle=True, random_state=0)
    )
    assert_allclose(out["held_out"]["scores"], expected, atol=1e-10)
    proc = call_main(
        capsys, "compare", "a.npy", "b.npy", "--method", "fourier", "--neurons-first"
    )
    assert_usage_error(proc, "--neurons-first applies to 2-D", "4-D")
    proc = call_main(
        capsys, "compare", "a.npy", "b.npy", "--method", "fourier", "--svd-dims", "3"
    )
    assert_usage_error(proc, "--svd-dims applies to --method svcca only")


# ------------------------------------------------------------ user errors
# Each mistake once through the shell; its variants in process.


def test_missing_file(npy_files, capsys):
    assert_usage_error(
        run_cli("compare", "a.npy", "missing.npy"), "B", "no such file", "missing.npy"
    )
    assert_usage_error(
        call_main(capsys, "compare", ".", "b.npy"), "A", "is a directory"
    )


def test_rows_that_do_not_match(rng, capsys):
    np.save("a.npy", rng.normal(size=(100, 5)))
    np.save("b.npy", rng.normal(size=(90, 5)))
    line = assert_usage_error(
        run_cli("compare", "a.npy", "b.npy"), "100 samples", "90", "same inputs"
    )
    # Same neuron count: maybe the user has the original (neurons, datapoints).
    assert "--neurons-first" in line
    np.save("c.npy", rng.normal(size=(90, 4)))
    line = assert_usage_error(call_main(capsys, "compare", "a.npy", "c.npy"), "90")
    assert "--neurons-first" not in line


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinite")])
def test_nan_or_inf_in_the_data(bad, word, npy_files, capsys):
    B = np.load("b.npy")
    B[7, 3] = bad
    np.save("b.npy", B)
    if word == "NaN":
        proc = run_cli("compare", *npy_files)
    else:
        proc = call_main(capsys, "compare", *npy_files)
    assert_usage_error(proc, "B:", "b.npy", f"({word}) at sample 7, neuron 3")


def test_unknown_method(npy_files):
    proc = run_cli("compare", *npy_files, "--method", "rsa")
    assert_usage_error(proc, "--method", "invalid choice: 'rsa'", "svcca")


def test_bad_svd_dims(npy_files, capsys):
    proc = run_cli("compare", *npy_files, "--svd-dims", "1.5")
    assert_usage_error(proc, "--svd-dims", "'1.5'", "(0, 1]")
    proc = call_main(
        capsys, "compare", *npy_files, "--svd-dims", "5", "--method", "cca"
    )
    assert_usage_error(proc, "--svd-dims applies to --method svcca only")


@pytest.mark.parametrize("value", ["0", "-3", "0.0", "abc", "1,2,3", "nan", ""])
def test_bad_svd_dims_values(value, capsys):
    proc = call_main(capsys, "compare", "a.npy", "b.npy", f"--svd-dims={value}")
    assert_usage_error(proc, "argument --svd-dims")


@pytest.mark.parametrize("value", ["1", "0", "x"])
def test_bad_cv_values(value, capsys):
    proc = call_main(capsys, "compare", "a.npy", "b.npy", "--cv", value)
    assert_usage_error(proc, "argument --cv", "integer >= 2")


def test_more_folds_than_samples(rng, capsys):
    np.save("a.npy", rng.normal(size=(6, 2)))
    np.save("b.npy", rng.normal(size=(6, 2)))
    proc = call_main(capsys, "compare", "a.npy", "b.npy", "--cv", "10")
    assert_usage_error(proc, "--cv 10", "6 samples")


def test_npz_needs_a_key(views, capsys):
    A, B = views
    np.savez("acts.npz", first=A, second=B)
    proc = run_cli("compare", "acts.npz", "acts.npz")
    assert_usage_error(proc, "holds 2 arrays (first, second)", "--key")
    proc = call_main(capsys, "compare", "acts.npz", "acts.npz", "--key", "third")
    assert_usage_error(proc, "no array 'third'", "first, second")


def test_key_with_npy_files(npy_files, capsys):
    proc = run_cli("compare", *npy_files, "--key", "x")
    assert_usage_error(proc, "--key", ".npz")
    np.savez("b.npz", b=np.load("b.npy"))
    proc = call_main(capsys, "compare", "a.npy", "b.npz", "--key", "a", "--key", "b")
    assert_usage_error(proc, "--key given twice", "A", "not a .npz")
    proc = call_main(capsys, "compare", "b.npz", "b.npz", *3 * ["--key", "b"])
    assert_usage_error(proc, "--key given 3 times")


def test_unknown_file_type():
    with open("a.txt", "w") as f:
        f.write("1 2\n3 4\n")
    proc = run_cli("compare", "a.txt", "a.txt")
    assert_usage_error(proc, "A:", "unknown file type '.txt'", ".npy, .npz")


def test_unreadable_files(capsys):
    with open("a.npy", "wb") as f:
        f.write(b"not numpy")
    assert_usage_error(run_cli("compare", "a.npy", "a.npy"), "A: cannot read", "a.npy")
    with open("a.csv", "w") as f:
        f.write("1,2\n3,oops\n5,6\n")
    proc = call_main(capsys, "compare", "a.csv", "a.csv")
    assert_usage_error(proc, "A: cannot read", "'oops'")
    with open("bad.npz", "wb") as f:
        f.write(b"PK not a zip")
    assert_usage_error(
        call_main(capsys, "compare", "bad.npz", "bad.npz"), "cannot read"
    )
    np.save("o.npy", np.array([["a", "b"], ["c", "d"]]))
    assert_usage_error(call_main(capsys, "compare", "o.npy", "o.npy"), "not numbers")
    np.save("c.npy", np.ones((5, 2), dtype=complex))
    assert_usage_error(call_main(capsys, "compare", "c.npy", "c.npy"), "complex")


def test_too_few_samples_and_constant_layers(rng, capsys):
    np.save("one.npy", rng.normal(size=(1, 4)))
    proc = run_cli("compare", "one.npy", "one.npy")
    assert_usage_error(proc, "1 sample(s)", "at least 2")
    np.save("none.npy", np.zeros((5, 0)))
    proc = call_main(capsys, "compare", "none.npy", "none.npy")
    assert_usage_error(proc, "no neurons")
    # A layer of dead neurons: the estimator's own message, on one line.
    np.save("dead.npy", np.zeros((50, 4)))
    np.save("b.npy", rng.normal(size=(50, 3)))
    proc = call_main(capsys, "compare", "dead.npy", "b.npy")
    assert_usage_error(proc, "X is constant")


def test_conv_maps_need_fourier(rng, capsys):
    np.save("conv.npy", rng.normal(size=(20, 3, 3, 2)))
    proc = run_cli("compare", "conv.npy", "conv.npy", "--method", "pwcca")
    assert_usage_error(proc, "(20, 3, 3, 2)", "--method fourier", "sklearn_svcca.conv")
    np.save("three.npy", rng.normal(size=(20, 3, 3)))
    proc = call_main(capsys, "compare", "three.npy", "three.npy")
    assert_usage_error(proc, "(20, 3, 3)", "expected a 2-D (samples, neurons)")


def test_no_command(capsys):
    assert_usage_error(call_main(capsys), "required: COMMAND")


# ------------------------------------------------------------------- demo

QUICK = ("--hidden-layers", "12,8", "--max-iter", "15", "--cv", "2")
DEMO_METHODS = ["CCA", "SVCCA", "PWCCA", "CKA"]


def _table(stdout):
    """The demo's table rows: {(layer of A, layer of B): 12 numbers}."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) == 2 + 3 * len(DEMO_METHODS) and cells[0].startswith("h"):
            rows[cells[0], cells[1]] = [float(c) for c in cells[2:]]
    return rows


def test_demo_default():
    """The README's main command, with its real default settings."""
    proc = run_cli("demo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "hidden layers 64-64-64" in proc.stdout
    assert "on the same 719 test images" in proc.stdout
    rows = _table(proc.stdout)
    layers = [f"h{i}" for i in (1, 2, 3)]
    assert list(rows) == [(a, b) for a in layers for b in layers]
    for values in rows.values():
        groups = np.reshape(values, (len(DEMO_METHODS), 3))
        for method, (fit, held_out, baseline) in zip(DEMO_METHODS, groups, strict=True):
            # Trained networks agree far beyond what chance gives, in sample
            # and on held-out images; held-out is the smaller of the two for
            # the CCA family, whose fitted directions pick up chance
            # correlations. CKA learns no map: its "held-out" value is CKA on
            # each test fold, close to the in-sample one.
            assert 0 <= baseline < 0.35 < held_out <= 1 and fit <= 1
            if method == "CKA":
                assert abs(held_out - fit) < 0.02
            else:
                assert held_out <= fit


def test_demo_numbers_are_the_estimators():
    """Each cell of the table recomputed from the networks' activations."""
    from sklearn_svcca._cli import _demo_estimators, _format_demo
    from sklearn_svcca._demo import run_demo

    result = run_demo(
        _demo_estimators(0.99), hidden_layer_sizes=(12, 8), max_iter=15, cv=2
    )
    a_layers, b_layers = (net.layers for net in result.networks)
    assert [a.shape for a in a_layers] == [(719, 12), (719, 8)]
    shuffle = np.random.RandomState(0).permutation(719)
    folds = KFold(2, shuffle=True, random_state=0)
    assert len(result.pairs) == 2 * 2 * len(DEMO_METHODS)
    for p in result.pairs:
        a, b = a_layers[p.layer_a], b_layers[p.layer_b]
        est = {"CCA": CCA(), "SVCCA": SVCCA(), "PWCCA": PWCCA(), "CKA": CKA()}[p.method]
        assert p.in_sample == pytest.approx(est.fit(a, b).similarity_, abs=1e-12)
        if p.method == "CKA":
            assert p.correlations is None
        else:
            assert_allclose(p.correlations, est.canonical_correlations_, atol=1e-12)
        assert p.baseline == pytest.approx(
            est.fit(a, b[shuffle]).similarity_, abs=1e-12
        )
        assert p.held_out == pytest.approx(
            cross_val_score(est, a, b, cv=folds).mean(), abs=1e-12
        )
    # The shell prints the same run (deterministic), and the figure.
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    plot = ("--plot", "demo.png") if has_matplotlib else ()
    proc = run_cli("demo", *QUICK, *plot)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.split("\n\nfigure written to")[0]
    assert table.strip() == _format_demo(result)
    rows = _table(proc.stdout)
    for p in result.pairs:
        col = 3 * DEMO_METHODS.index(p.method)
        cells = rows[f"h{p.layer_a + 1}", f"h{p.layer_b + 1}"][col : col + 3]
        assert cells == [
            round(p.in_sample, 3),
            round(p.held_out, 3),
            round(p.baseline, 3),
        ]
    if has_matplotlib:
        assert proc.stdout.rstrip().endswith("figure written to demo.png")
        with open("demo.png", "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_demo_plot_errors(capsys):
    pytest.importorskip("matplotlib")
    proc = run_cli("demo", "--plot", "demo.xyz")
    assert_usage_error(proc, "unknown image format '.xyz'", ".png")
    proc = call_main(capsys, "demo", "--plot", "missing/demo.png")
    assert_usage_error(proc, "directory missing does not exist")


def test_demo_plot_without_matplotlib(tmp_path):
    # A stand-in package that fails to import, as when it is not installed.
    fake = tmp_path / "fake"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'matplotlib'\")\n"
    )
    proc = run_cli("demo", "--plot", "demo.png", pythonpath=[fake])
    assert_usage_error(proc, "--plot needs matplotlib", "pip install matplotlib")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--hidden-layers", "64,0"], "--hidden-layers: '64,0'"),
        (["--hidden-layers", "a"], "--hidden-layers: 'a'"),
        (["--max-iter", "0"], "--max-iter: '0'"),
        (["--seeds", "1"], "--seeds: expected 2 arguments"),
        (["--cv", "1"], "--cv: '1'"),
    ],
)
def test_demo_bad_options(args, fragment, capsys):
    assert_usage_error(call_main(capsys, "demo", *args), fragment)


@pytest.mark.parametrize("command", [[], ["compare"]])
def test_help_links_the_reporting_guide(command, capsys):
    proc = call_main(capsys, *command, "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert 'the guide "Which number to report"' in text
    assert "docs/reporting.rst" in text
    page = Path(__file__).resolve().parents[1] / "docs" / "reporting.rst"
    assert "Which number to report" in page.read_text()


# ------------------------------------------- issue 11: items 8, 10 and 15


def test_item8_npz_member_that_is_not_an_array(views, capsys):
    import zipfile

    A, B = views
    np.save("b.npy", B)
    with zipfile.ZipFile("odd.npz", "w") as archive:
        archive.writestr("notes.txt", "not an array")
    assert_usage_error(
        run_cli("compare", "odd.npz", "b.npy"),
        "A: member 'notes.txt' of odd.npz is not a .npy array",
    )
    with zipfile.ZipFile("mixed.npz", "w") as archive:
        archive.writestr("notes.txt", "not an array")
        with archive.open("acts.npy", "w") as member:
            np.save(member, A)
    proc = call_main(capsys, "compare", "mixed.npz", "b.npy", "--key", "notes.txt")
    assert_usage_error(proc, "'notes.txt' of mixed.npz is not a .npy array")
    out = compare_json(capsys, "mixed.npz", "b.npy", "--key", "acts", "--method", "cca")
    assert out["similarity"] == pytest.approx(CCA().fit(A, B).similarity_, abs=1e-12)
    # A pickled object array: refused from its header, never unpickled.
    np.savez("pickled.npz", acts=np.array([{"a": 1}, None], dtype=object))
    assert_usage_error(
        call_main(capsys, "compare", "pickled.npz", "b.npy"),
        "A: pickled.npz holds Python objects",
    )
    np.save("pickled.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    assert_usage_error(
        call_main(capsys, "compare", "b.npy", "pickled.npy"),
        "B: pickled.npy holds Python objects",
    )


def test_item8_header_announcing_more_data_than_the_file_holds(views, capsys):
    # 900 bytes whose header claims a 1e6 x 1e6 float64 array (7.3 TiB).
    np.save("b.npy", views[1])
    with open("huge.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
        )
        f.write(b"\0" * (900 - f.tell()))
    line = assert_usage_error(
        run_cli("compare", "huge.npy", "b.npy"),
        "A: huge.npy is truncated or corrupt",
        "1000000 x 1000000 float64",
        "7.3 TiB",
    )
    assert "MemoryError" not in line
    # The same in an archive, and a file cut short.
    with open("huge.npy", "rb") as f:
        header = f.read()
    import zipfile

    with zipfile.ZipFile("huge.npz", "w") as archive:
        archive.writestr("acts.npy", header)
    assert_usage_error(
        call_main(capsys, "compare", "b.npy", "huge.npz"), "B: huge.npz is truncated"
    )
    np.save("full.npy", views[0])
    with open("full.npy", "rb") as f:
        data = f.read()
    with open("cut.npy", "wb") as f:
        f.write(data[: len(data) // 2])
    assert_usage_error(
        call_main(capsys, "compare", "cut.npy", "b.npy"), "cut.npy is truncated"
    )


def test_item8_a_layer_too_wide_for_memory_is_refused_before_loading(rng, capsys):
    # A real (200, 40000) layer: its float64 cross-products alone are 12 GiB.
    np.save("wide.npy", rng.normal(size=(200, 40000)).astype(np.float32))
    np.save("b.npy", rng.normal(size=(200, 30)))
    line = assert_usage_error(
        run_cli("compare", "wide.npy", "b.npy", "--max-memory", "8G"),
        "--method svcca would need about",
        "40000 x 40000",
        "more than the 8.0 GiB --max-memory",
        "fewer neurons",
    )
    needed = float(line.split("need about ")[1].split(" GiB")[0])
    # 12 GiB of products, with the decompositions' copies.
    assert 40 < needed < 100
    # By default the limit is the memory available now.
    import sklearn_svcca._cli as cli

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "_available_memory", lambda: 2**30)
        proc = call_main(capsys, "compare", "wide.npy", "b.npy", "--method", "cca")
    assert_usage_error(proc, "more than the 1.0 GiB available")
    # FourierCCA's products are per frequency.
    np.save("maps.npy", rng.normal(size=(20, 16, 16, 2000)).astype(np.float32))
    proc = call_main(
        capsys, "compare", "maps.npy", "maps.npy", "--method", "fourier",
        "--max-memory", "1G",
    )  # fmt: skip
    assert_usage_error(proc, "144 frequencies x (2000 + 2000)² complex")


def test_item8_running_out_of_memory_is_one_line(views, npy_files, capsys):
    def exhausted(*args, **kwargs):
        raise MemoryError

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SVCCA, "fit", exhausted)
        proc = call_main(capsys, "compare", *npy_files)
    assert_usage_error(proc, "ran out of memory while fitting", "estimated")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(np.lib.format, "read_array", exhausted)
        proc = call_main(capsys, "compare", *npy_files)
    assert_usage_error(proc, "ran out of memory while reading the files")


@pytest.mark.parametrize("value", ["lots", "0", "-1G", "8X", "inf", "nan"])
def test_item8_bad_max_memory(value, npy_files, capsys):
    proc = call_main(capsys, "compare", *npy_files, f"--max-memory={value}")
    assert_usage_error(proc, "--max-memory", "not an amount of memory")


def test_item8_max_memory_units(npy_files, views, capsys):
    out = compare_json(capsys, *npy_files, "--max-memory", "1.5G", "--method", "cca")
    assert out["similarity"] == pytest.approx(CCA().fit(*views).similarity_)
    proc = call_main(capsys, "compare", *npy_files, "--max-memory", "100K")
    assert_usage_error(proc, "more than the 100.0 KiB --max-memory")


def test_item10_channels_first_flag(rng, capsys):
    # PyTorch's (N, C, H, W): 4 channels of 6x6 against 3 channels.
    A = rng.normal(size=(150, 4, 6, 6))
    B = np.einsum("nchw,cd->ndhw", A, rng.normal(size=(4, 3)))
    B += rng.normal(size=B.shape)
    np.save("a.npy", A)
    np.save("b.npy", B)
    proc = run_cli("compare", "a.npy", "b.npy", "--method", "fourier", "--json",
                   "--channels-first")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = json.loads(proc.stdout)
    est = sklearn_svcca.FourierCCA(data_format="channels_first").fit(A, B)
    ref = sklearn_svcca.FourierCCA().fit(
        A.transpose(0, 2, 3, 1), B.transpose(0, 2, 3, 1)
    )
    assert out["similarity"] == est.similarity_ == ref.similarity_
    assert out["a"]["shape"] == [150, 4, 6, 6]
    # Without the flag the maps are read channels last, with a warning that
    # names the flag, once per file.
    proc = call_main(
        capsys, "compare", "a.npy", "b.npy", "--method", "fourier", "--json"
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["similarity"] != pytest.approx(est.similarity_)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(
        line.startswith("warning: ") and "--channels-first" in line for line in lines
    )
    assert "A (a.npy) has shape (150, 4, 6, 6)" in lines[0]
    assert "data_format" not in proc.stderr
    proc = call_main(capsys, "compare", "a.npy", "b.npy", "--channels-first")
    assert_usage_error(
        proc, "--channels-first applies to 4-D maps with --method fourier"
    )


def test_item15_one_transposed_file(rng, capsys):
    np.save("t.npy", rng.normal(size=(40, 500)))  # (neurons, datapoints)
    np.save("s.npy", rng.normal(size=(500, 64)))  # (datapoints, neurons)
    line = assert_usage_error(
        run_cli("compare", "t.npy", "s.npy"),
        "A (t.npy) has 40 samples (rows) but B (s.npy) has 500",
        "A has 500 columns, as many as B has rows",
        "save A transposed",
        "--neurons-first transposes both files",
    )
    line = assert_usage_error(call_main(capsys, "compare", "s.npy", "t.npy"))
    assert "B has 500 columns, as many as A has rows" in line
    np.save("s3.npy", rng.normal(size=(20, 40)))  # B: 40 columns, A's 40 rows
    line = assert_usage_error(call_main(capsys, "compare", "t.npy", "s3.npy"))
    assert "B has 40 columns, as many as A has rows" in line
    # Both transposed: --neurons-first is the fix; both already right: drop it.
    np.save("t2.npy", rng.normal(size=(30, 500)))
    line = assert_usage_error(call_main(capsys, "compare", "t.npy", "t2.npy"))
    assert "add --neurons-first" in line
    np.save("s2.npy", rng.normal(size=(500, 32)))
    line = assert_usage_error(
        call_main(capsys, "compare", "s.npy", "s2.npy", "--neurons-first")
    )
    assert "drop --neurons-first" in line


def test_item8_csv_files_are_checked_once_loaded(rng, capsys):
    # No header to read first: the shape is checked before the fit.
    np.savetxt("a.csv", rng.normal(size=(3000, 20)), delimiter=",")
    np.savetxt("b.csv", rng.normal(size=(20, 10)), delimiter=",")
    proc = call_main(
        capsys, "compare", "a.csv", "b.csv", "--neurons-first", "--max-memory", "1M"
    )
    assert_usage_error(proc, "the 3000 x 3000, 20 x 20 and 3000 x 20", "1.0 MiB")
