"""A build fails on a failing cell or a broken cross-reference (small temporary books).

Marked `build` like tests/test_build.py: `make test` runs them after the notebook tests.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES, book_build, make_temp_book

pytestmark = pytest.mark.build


def _build_output(tmp_path, pages):
    result = book_build.build(make_temp_book(tmp_path, pages), capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def test_temp_book_of_good_pages_builds(tmp_path):
    """Control for the two tests below: the temporary-book set-up itself builds."""
    code, output = _build_output(tmp_path, {"good": FIXTURES / "good_page.md"})
    assert code == 0, output[-4000:]


def test_broken_notebook_fails_the_build(tmp_path):
    code, output = _build_output(tmp_path, {"good": FIXTURES / "good_page.md", "broken": FIXTURES / "broken.ipynb"})
    assert code != 0
    assert "ZeroDivisionError" in output


def test_broken_cross_reference_fails_the_build(tmp_path):
    code, output = _build_output(tmp_path, {"good": FIXTURES / "good_page.md", "bad": FIXTURES / "broken_ref.md"})
    assert code != 0
    assert "no-such-label" in output
