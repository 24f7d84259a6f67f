"""The documentation covers what the package offers, and stays in step.

These read the sources of the documentation (no Sphinx needed): the API
reference lists every public name and module, the table of contents lists
every page, the command-line page and help document every option, and the
README's Python example runs. The examples themselves run during the docs
build (``make -C docs html``, in CI), which fails when one breaks; they are
not run again here.
"""

import ast
import pkgutil
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

import sklearn_svcca
from sklearn_svcca._cli import _build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Written by the build, never tracked.
GENERATED_PAGES = {"sg_execution_times.rst"}


def _directive_entries(path, directive):
    """Entries of every ``.. directive::`` block, resolved against the
    ``.. currentmodule::`` in force (for autosummary)."""
    entries, current, inside = [], None, False
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith(".. currentmodule::"):
            current = stripped.split("::")[1].strip()
        if stripped == f".. {directive}::":
            inside = True
            continue
        if inside:
            if line and not line[0].isspace():
                inside = False
            elif stripped and not stripped.startswith(":"):
                name = stripped
                if directive == "autosummary" and current:
                    name = f"{current}.{name}"
                entries.append(name)
    return entries


def _public_submodules():
    return sorted(
        f"sklearn_svcca.{m.name}"
        for m in pkgutil.iter_modules(sklearn_svcca.__path__)
        if not m.name.startswith("_")
    )


def test_api_reference_lists_every_public_name():
    documented = set(_directive_entries(DOCS / "api.rst", "autosummary"))
    public = {f"sklearn_svcca.{n}" for n in sklearn_svcca.__all__ if n != "__version__"}
    assert public - documented == set(), "add them to docs/api.rst"
    assert documented - public - set(_public_submodules()) == set(), "stale entries"


def test_api_reference_lists_every_public_submodule():
    documented = set(_directive_entries(DOCS / "api.rst", "autosummary"))
    submodules = _public_submodules()
    assert "sklearn_svcca.exceptions" in submodules
    assert set(submodules) - documented == set(), "add them to docs/api.rst"


@pytest.mark.parametrize("module", _public_submodules())
def test_public_submodules_declare_what_they_export(module):
    # The module page (docs/_templates/autosummary/module.rst) documents
    # exactly the names in __all__ (autosummary_ignore_module_all = False).
    mod = __import__(module, fromlist=["__all__"])
    assert mod.__all__, f"{module} needs an __all__"
    for name in mod.__all__:
        assert getattr(mod, name).__doc__, f"{module}.{name} has no docstring"


def test_every_page_is_in_the_table_of_contents():
    toctree = _directive_entries(DOCS / "index.rst", "toctree")
    pages = {p.stem for p in DOCS.glob("*.rst") if p.name not in GENERATED_PAGES} - {
        "index"
    }
    assert pages - set(toctree) == set(), "add them to the toctree in docs/index.rst"
    for entry in toctree:
        if entry == "auto_examples/index":
            assert (ROOT / "examples" / "GALLERY_HEADER.rst").exists()
        else:
            assert (DOCS / f"{entry}.rst").exists(), entry


def test_user_guide_labels_referenced_by_the_docstrings_exist():
    labels = {
        label
        for page in ("user_guide.rst", "measures.rst")
        for label in re.findall(r"^\.\. _([\w-]+):", (DOCS / page).read_text(), re.M)
    }
    for name in ("CCA", "SVCCA", "PWCCA", "CKA", "Procrustes"):
        refs = re.findall(
            r":ref:`[^`<]*<([\w-]+)>`", getattr(sklearn_svcca, name).__doc__
        )
        assert refs and set(refs) <= labels, name


def test_every_example_is_in_the_gallery():
    conf = runpy.run_path(str(DOCS / "conf.py"))
    gallery = conf["sphinx_gallery_conf"]
    assert (DOCS / gallery["examples_dirs"]).resolve() == ROOT / "examples"
    examples = sorted((ROOT / "examples").glob("*.py"))
    assert examples
    for path in examples:
        # Sphinx-gallery runs the files matching filename_pattern.
        assert re.search(gallery["filename_pattern"], str(path)), path.name
        doc = ast.get_docstring(ast.parse(path.read_text()))
        lines = [line.strip() for line in (doc or "").strip().splitlines()]
        if lines and set(lines[0]) == {"="}:  # an overline
            lines = lines[1:]
        # A title, underlined: the gallery's thumbnail caption.
        assert len(lines) >= 2 and set(lines[1]) == {"="}, path.name
        assert len(lines[1]) >= len(lines[0]), path.name


def test_cli_page_documents_every_option():
    page = (DOCS / "cli.rst").read_text()
    parser = _build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        assert f"sklearn-svcca {name}" in page
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"``{option}" in page, (name, option)


def test_readme_python_example_runs():
    readme = (ROOT / "README.md").read_text()
    # The PyTorch snippet runs in tests/test_torch.py, where torch is known.
    (code,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", readme, re.S)
        if "sklearn_svcca.torch" not in block
    ]
    rng = np.random.RandomState(0)
    acts_a = rng.normal(size=(500, 8))
    acts_b = acts_a[:, :4] @ rng.normal(size=(4, 6)) + rng.normal(size=(500, 6))
    from sklearn.model_selection import GridSearchCV, cross_val_score

    namespace = {
        "acts_a": acts_a,
        "acts_b": acts_b,
        "cross_val_score": cross_val_score,
        "GridSearchCV": GridSearchCV,
    }
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["est"].similarity_ > 0.5


def test_install_page_has_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    (test_command,) = [
        line for line in re.findall(r"```bash\n(.*?)\n```", readme) if "pytest" in line
    ]
    assert test_command in (DOCS / "install.rst").read_text()
