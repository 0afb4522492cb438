"""Each notebook executes once (tools/execute.py): the cache is reused while the code is the same
and never serves outputs of other code, of another `adbook` or of another environment."""

from __future__ import annotations

import nbformat
import pytest
from conftest import book_execute
from nbclient.exceptions import CellExecutionError


@pytest.fixture
def book(tmp_path):
    """A one-notebook book whose notebook counts its runs in runs.txt and prints `value`."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "adbook").mkdir()
    (tmp_path / "adbook" / "__init__.py").write_text("VALUE = 1\n")
    (tmp_path / "requirements.txt").write_text("jax\n")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 쪽"),
        nbformat.v4.new_code_cell(f"open({str(tmp_path / 'runs.txt')!r}, 'a').write('x')"),
        nbformat.v4.new_code_cell("value = 1\nprint(value)"),
    ]
    nbformat.write(notebook, tmp_path / "page.ipynb")
    return tmp_path


def runs(book):
    return len((book / "runs.txt").read_text()) if (book / "runs.txt").exists() else 0


def printed(notebook):
    return notebook.cells[2].outputs[0]["text"]


def edit(book, cell, source):
    notebook = nbformat.read(book / "page.ipynb", as_version=4)
    notebook.cells[cell].source = source
    nbformat.write(notebook, book / "page.ipynb")


def test_a_notebook_runs_once_while_its_code_is_the_same(book):
    assert book_execute.execute_all(book, jobs=1) == 0
    assert runs(book) == 1
    assert book_execute.execute_all(book, jobs=1) == 0
    notebook, seconds = book_execute.execute(book / "page.ipynb", book)
    assert runs(book) == 1 and seconds is None and printed(notebook) == "1\n"
    edit(book, 0, "# 쪽\n\n설명만 고쳤습니다.")  # prose only: the outputs still fit the code
    notebook, seconds = book_execute.execute(book / "page.ipynb", book)
    assert runs(book) == 1 and notebook.cells[0].source.endswith("고쳤습니다.")


def test_changed_code_runs_again(book):
    book_execute.execute_all(book, jobs=1)
    edit(book, 2, "value = 2\nprint(value)")
    notebook, seconds = book_execute.execute(book / "page.ipynb", book)
    assert runs(book) == 2 and seconds is not None and printed(notebook) == "2\n"


def test_a_changed_adbook_or_environment_empties_the_cache(book):
    book_execute.execute_all(book, jobs=1)
    for count, changed in enumerate(["adbook/__init__.py", "requirements.txt"], start=2):
        (book / changed).write_text((book / changed).read_text() + "# changed\n")
        book_execute.execute_all(book, jobs=1)
        assert runs(book) == count, changed


def test_a_failing_notebook_fails_with_its_cell_and_is_not_cached(book, capsys):
    edit(book, 2, "value = 1 / 0")
    assert book_execute.execute_all(book, jobs=1) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    with pytest.raises(CellExecutionError, match="value = 1 / 0"):
        book_execute.execute(book / "page.ipynb", book)
    assert runs(book) == 2
