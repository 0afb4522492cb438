"""Every notebook runs top to bottom in a fresh kernel; notebooks are committed clean; the table
of contents and the files agree; the shared module agrees with the notebooks it is exported from."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest
from conftest import (
    FIXTURES,
    ROOT,
    book_execute,
    execute_notebook,
    nbtool,
    stderr_outputs,
    toc_notebooks,
    toc_pages,
)
from nbclient.exceptions import CellExecutionError

BOOK_NOTEBOOKS = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def rel(path):
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", toc_notebooks(), ids=rel)
def test_notebook_executes(path):
    nb = execute_notebook(path)
    problems = stderr_outputs(nb)
    assert not problems, "cells wrote to stderr (a warning the reader would see):\n\n" + "\n\n".join(problems)


def test_broken_notebook_fails_execution():
    with pytest.raises(CellExecutionError) as info:
        book_execute.run(FIXTURES / "broken.ipynb")
    message = str(info.value)
    assert "ZeroDivisionError" in message  # the traceback is shown
    assert "slope = rise / run" in message  # and so is the failing cell's source


@pytest.mark.parametrize("path", BOOK_NOTEBOOKS, ids=rel)
def test_notebook_is_committed_clean(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"cells {dirty} carry outputs or execution counts: run `make strip`"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be python3"


def test_sources_hold_no_control_characters():
    """A TeX command written in a non-raw Python string (\\rho, \\varepsilon, \\approx) turns into a
    control character (carriage return, vertical tab, bell) that MathJax cannot read."""
    control = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
    texts = {rel(path): path.read_text(encoding="utf-8") for path in (ROOT / "book").rglob("*.md")}
    texts["book/references.bib"] = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    for path in BOOK_NOTEBOOKS:  # the cells' text, not the JSON (which escapes them)
        texts[rel(path)] = "".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
    found = {name: control.findall(text) for name, text in texts.items()}
    assert not {name: chars for name, chars in found.items() if chars}


def test_every_page_under_book_is_in_toc():
    listed = set(toc_pages())
    pages = {
        p.with_suffix("").relative_to(ROOT).as_posix()
        for p in (ROOT / "book").rglob("*")
        if p.suffix in {".ipynb", ".md"} and ".ipynb_checkpoints" not in p.parts
    }
    assert pages - listed == set(), "pages under book/ that _toc.yml does not list"


def test_every_toc_entry_exists():
    missing = [page for page in toc_pages() if nbtool.resolve(page) is None]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


def test_module_and_bootstrap_cells_in_sync():
    problems = nbtool.check()
    assert not problems, "\n".join(problems) + "\n\nRun `make sync`."


def test_sync_check_detects_a_drifted_notebook(monkeypatch):
    """The check above can fail: change a # @save cell in memory and it must notice."""
    original_read = nbtool.read

    def drifted(path):
        nb = original_read(path)
        if path.stem != "ch04_forward":
            return nb
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.source.startswith(nbtool.SAVE_MARK):
                cell.source += "\n\nDRIFT = 1"
                break
        return nb

    monkeypatch.setattr(nbtool, "read", drifted)
    problems = nbtool.check()
    assert any("adbook/forward.py differs" in p and "DRIFT = 1" in p for p in problems), problems


def test_sync_check_detects_a_wrong_repository_url(monkeypatch):
    monkeypatch.setattr(nbtool, "repo_url", lambda: "https://example.invalid/fork")
    problems = nbtool.check()
    assert problems and all("bootstrap" in p for p in problems)


def test_exported_module_is_importable():
    import adbook

    assert adbook.__all__ and set(adbook.__all__) <= set(dir(adbook))
    assert callable(adbook.setup_notebook)


def chapter_modules():
    "(module name, its position in reading order) for every generated chapter module"
    names = [nbtool.module_name(p) for p in toc_notebooks() if nbtool.saved_cells(nbtool.read(p))]
    return {name: i for i, name in enumerate(names)}


def test_one_module_per_chapter():
    order = chapter_modules()
    generated = {p.stem for p in nbtool.generated_files()} - {"__init__"}
    assert generated == set(order), "adbook/ must hold exactly one generated module per exporting chapter"
    assert {"forward", "reverse", "cost"} <= set(order)


@pytest.mark.parametrize("name", sorted(chapter_modules()))
def test_chapter_modules_import_only_earlier_chapters(name):
    """A chapter's module imports from earlier chapters only, by name (no `import *`), so there are no
    cycles and the dependency graph can be read off the import lines."""
    import ast

    order = chapter_modules()
    tree = ast.parse((ROOT / "adbook" / f"{name}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("adbook"):
            assert all(alias.name != "*" for alias in node.names), f"{name}: star import"
            source = node.module.split(".")[1]
            assert order[source] < order[name], f"adbook.{name} imports adbook.{source}, a later chapter"
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("adbook") for a in node.names), f"{name}: import adbook"


def test_sync_refuses_a_name_no_earlier_chapter_defines(monkeypatch):
    """The import check above cannot be dodged: a chapter that uses a later chapter's name fails `sync`."""
    original_read = nbtool.read

    def uses_a_later_name(path):
        nb = original_read(path)
        if path.stem == "ch04_forward":
            nb.cells.append(nbformat.v4.new_code_cell("# @save\ndef uses_later():\n    return vjp_once"))
        return nb

    monkeypatch.setattr(nbtool, "read", uses_a_later_name)
    problems = nbtool.check()
    assert any("vjp_once" in p and "no earlier chapter" in p for p in problems), problems


def test_hangul_font_comes_from_pip_without_system_fonts(tmp_path):
    """On a machine without fonts-nanum (Colab, no root), setup_notebook still finds NanumGothic."""
    script = """
import glob, warnings
import matplotlib
matplotlib.use("Agg")
from matplotlib import font_manager
import adbook._env as env
# Pretend the system has no Nanum fonts: matplotlib has not seen them, and the system folder is empty.
font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist if "Nanum" not in f.name]
real_glob = glob.glob
env.glob.glob = lambda pattern, **kw: [] if pattern.startswith("/usr/share/fonts") else real_glob(pattern, **kw)
assert not env._has_font("NanumGothic")
with warnings.catch_warnings():
    warnings.simplefilter("error")
    env.setup_notebook()
assert env._has_font("NanumGothic"), "NanumGothic was not registered"
import matplotlib.pyplot as plt
with warnings.catch_warnings():
    warnings.simplefilter("error")
    fig, ax = plt.subplots()
    ax.set_title("간격 h와 오차")
    ax.loglog([1e-16, 1.0], [1e-16, 1.0])  # log ticks: 10^{-16} needs the minus sign (DejaVu Sans)
    fig.savefig(r"%s")
print("ok")
""" % (tmp_path / "hangul.png")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")}  # a fresh matplotlib font cache
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and "ok" in result.stdout, result.stdout + result.stderr
    assert "does not have a glyph" not in result.stderr and "missing from font" not in result.stderr, result.stderr
