"""The book's two small Sphinx extensions (tools/sphinx_ext/)."""

from __future__ import annotations

import sys

from conftest import ROOT
from pybtex.database import parse_file
from sphinx.builders.html._assets import _JavaScript

sys.path.insert(0, str(ROOT / "tools" / "sphinx_ext"))

import author_year_bib  # noqa: E402
import unique_scripts  # noqa: E402


def test_bibliography_labels_read_like_the_citations():
    entries = parse_file(ROOT / "book" / "references.bib").entries
    labels = {key: author_year_bib.author_year_label(entry) for key, entry in entries.items()}
    assert labels["baydin2018automatic"] == "Baydin et al., 2018"
    assert labels["bishop2024deep"] == "Bishop and Bishop, 2024"
    assert labels["griewank2008evaluating"] == "Griewank and Walther, 2008"
    assert labels["jaxdocs"] == "The JAX Authors, 2026"


def test_repeated_scripts_are_dropped_and_order_kept():
    body = {"body": "const THEBE_JS_URL = 1"}
    scripts = [
        _JavaScript("_static/a.js"),
        _JavaScript(None, **body),
        _JavaScript("_static/b.js"),
        _JavaScript("", **body),  # the repeat Sphinx makes, with "" for None
        _JavaScript(None, **{"body": "other"}),
    ]
    context = {"script_files": scripts}
    unique_scripts._unique_scripts(None, "page", "page.html", context, None)
    assert [(s.filename, s.attributes.get("body")) for s in context["script_files"]] == [
        ("_static/a.js", None),
        (None, "const THEBE_JS_URL = 1"),
        ("_static/b.js", None),
        (None, "other"),
    ]
