"""Shared pieces of the book's tests: paths, the page list from _toc.yml, running a notebook."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT / "tools"))

import build as book_build  # noqa: E402  (tools/build.py: the one build command)
import execute as book_execute  # noqa: E402  (tools/execute.py: notebooks executed once, into the cache)
import nbtool  # noqa: E402  (tools/nbtool.py: toc, # @save export, bootstrap cell)


def toc_pages() -> list[str]:
    return nbtool.toc_files()


def toc_notebooks() -> list[Path]:
    return nbtool.toc_notebooks()


def execute_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook executed top to bottom in a fresh kernel, in its own folder, as the build does.

    The outputs come from the jupyter-cache that the build reads (tools/execute.py): a notebook whose
    code the cache lacks runs now and is cached, so `make test` runs each notebook once and the build
    that follows reuses the outputs. A failing cell raises nbclient's CellExecutionError, whose
    message shows the cell's source and the traceback.
    """
    return book_execute.execute(path)[0]


def stderr_outputs(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {index}:\n{cell.source}\n--- stderr ---\n{out['text']}")
    return found


def make_temp_book(tmp_path: Path, pages: dict[str, str | Path]) -> Path:
    """A small book with this book's _config.yml, bibliography and Sphinx extension, and the given pages.

    `pages` maps a page name (without suffix) to a fixture file; the first page is the root.
    """
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copy(ROOT / "book" / "references.bib", tmp_path / "book" / "references.bib")
    shutil.copytree(ROOT / "tools" / "sphinx_ext", tmp_path / "tools" / "sphinx_ext")
    names = []
    for name, source in pages.items():
        source = Path(source)
        shutil.copy(source, tmp_path / "book" / f"{name}{source.suffix}")
        names.append(f"book/{name}")
    toc = f"format: jb-book\nroot: {names[0]}\n"
    if names[1:]:
        toc += "chapters:\n" + "".join(f"  - file: {n}\n" for n in names[1:])
    (tmp_path / "_toc.yml").write_text(toc, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="session")
def book_build_output() -> str:
    """Build the real book into _build/html once per pytest run; its output.

    pytest-xdist workers share one build: the first to take the lock builds and leaves the result
    under the run's id (PYTEST_XDIST_TESTRUNUID), the others wait for the lock and read it, so two
    builds never write _build at the same time.
    """
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid{os.getpid()}")
    (ROOT / "_build").mkdir(exist_ok=True)
    record = ROOT / "_build" / f".build-{run_id}.json"
    with open(ROOT / "_build" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            for old in (ROOT / "_build").glob(".build-*.json"):
                old.unlink()
            result = book_build.build(ROOT, capture_output=True, text=True)
            record.write_text(json.dumps({"code": result.returncode, "output": result.stdout + result.stderr}))
        built = json.loads(record.read_text())
    if built["code"] != 0:
        pytest.fail(
            f"the book build failed (exit {built['code']}); its output ends with:\n" + built["output"][-6000:],
            pytrace=False,
        )
    return built["output"]


@pytest.fixture(scope="session")
def built_book(book_build_output) -> Path:
    return ROOT / "_build" / "html"
