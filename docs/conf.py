"""Sphinx configuration: numpydoc docstrings, autosummary, sphinx-gallery.

Build with ``make -C docs html`` (warnings are errors). Nothing here reaches
the network: no intersphinx, and MathJax is loaded by the reader's browser.
"""

import re
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

# Document the checkout this file belongs to, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sklearn_svcca

project = "sklearn-svcca"
author = "sklearn-svcca developers"
copyright = "sklearn-svcca developers"
version = release = sklearn_svcca.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates"]
root_doc = "index"
default_role = "literal"

# API reference: one page per public name, generated from the lists in
# api.rst. A public submodule documents exactly its __all__.
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# Examples: every examples/plot_*.py runs during the build, so an example
# that breaks fails the build. pytest does not run them again.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("sklearn_svcca",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_svcca": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
}

html_theme = "alabaster"
html_theme_options = {
    "description": "CCA, SVCCA and PWCCA for comparing neural-network "
    "representations, as scikit-learn estimators",
    "fixed_sidebar": True,
}
html_static_path = []


# Docstrings inherited from scikit-learn (get_params, set_output, ...) point
# at labels and glossary terms of scikit-learn's own documentation, and ours
# copy its ":term:`fit`" boilerplate. There is no intersphinx (the build must
# not need the network), so those become literal text instead of failing.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`(?:[^`<]*<)?([^`>]+)>?`")
_TERM_ROLE = re.compile(r":term:`(?:[^`<]*<)?([^`>]+)>?`")
# "x_weights_ : ndarray of shape (n_features_in_, n_components_)": in
# reStructuredText a bare word ending in "_" is a hyperlink reference, and
# fitted attributes all end in "_". Escape that underscore outside literals
# and directives.
_LITERAL = re.compile(r"(`+[^`]*`+)")
_TRAILING_UNDERSCORE = re.compile(r"(\w)_(?=[\s,.;:)\]]|$)")


def _escape_trailing_underscores(line):
    if line.lstrip().startswith(".. "):
        return line
    parts = _LITERAL.split(line)
    parts[::2] = [_TRAILING_UNDERSCORE.sub(r"\1\\_", p) for p in parts[::2]]
    return "".join(parts)


def _clean_docstring(app, what, name, obj, options, lines):
    owner = getattr(obj, "__module__", None) or ""
    role = _SKLEARN_ROLE if owner.split(".")[0] == "sklearn" else _TERM_ROLE
    lines[:] = [_escape_trailing_underscores(role.sub(r"``\1``", x)) for x in lines]


def setup(app):
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _clean_docstring, priority=400)
    # The examples' matrices are small: on a busy 2-core machine
    # multi-threaded BLAS slows them down tenfold or more, and one thread
    # gives reproducible example timings. (Here, not at import, so that
    # reading this file does not change the caller's thread pools.)
    threadpool_limits(limits=1)
