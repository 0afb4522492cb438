"""The path a Colab reader takes: a notebook opened alone, where `adbook` is not installed.

The first code cell of every notebook (the bootstrap cell, written by `make sync` from the repository
URL in _config.yml) installs `adbook` from the repository when it cannot import it. These tests run
that cell in a fresh virtual environment that sees every package of .venv except `adbook`, with the
URL pointed at a local git repository holding this checkout's `adbook`; and with a wrong URL.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, nbtool

NOTEBOOK = ROOT / "book" / "ch03_trace.ipynb"  # imports the modules of chapters 2 and 3 from adbook


@pytest.fixture
def bare_python(tmp_path):
    """A new virtual environment without `adbook` that reuses .venv's other packages (no downloads),
    with its own kernel: {"python": ..., "env": environment variables for running it}."""
    home = tmp_path / "bare"
    venv = home / "venv"
    # Without a pip of its own: `%pip` then runs .venv's pip (found through the path file below),
    # which installs into this environment.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # A path file adds .venv's site-packages to sys.path without running the path files there,
    # so the editable install of adbook (a path file) stays out.
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "book_venv.pth").write_text(site.getsitepackages()[0] + "\n")
    kernel = home / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kernel / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "bare", "language": "python"}))
    env = {**os.environ, "JUPYTER_PATH": str(home / "jupyter"), "PYTHONPATH": ""}
    env.pop("VIRTUAL_ENV", None)
    probe = subprocess.run(
        [python, "-c", "import jax, nbclient, ipykernel\nimport adbook"],
        env=env, cwd=home, capture_output=True, text=True,
    )  # fmt: skip
    assert "No module named 'adbook'" in probe.stderr, probe.stderr
    return {"python": python, "env": env, "home": home}


def _local_repository(path: Path) -> str:
    """A git repository holding this checkout's adbook package (committed or not), as a pip URL."""
    path.mkdir()
    for name in ["pyproject.toml", "README.md"]:
        shutil.copy(ROOT / name, path / name)
    shutil.copytree(ROOT / "adbook", path / "adbook", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(path), "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "--quiet"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "adbook"], check=True)
    return f"git+file://{path}"


def _run_in(bare, notebook: nbformat.NotebookNode, folder: Path) -> subprocess.CompletedProcess:
    """Execute `notebook` (saved in `folder`) with the bare environment's kernel."""
    path = folder / "notebook.ipynb"
    nbformat.write(notebook, path)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tools")!r})
        import execute
        execute.run(__import__("pathlib").Path({str(path)!r}))
    """)
    return subprocess.run(
        [bare["python"], "-c", script], env=bare["env"], cwd=folder, capture_output=True, text=True, timeout=600
    )


def _with_url(notebook: nbformat.NotebookNode, url: str) -> nbformat.NotebookNode:
    cell = notebook.cells[1]
    configured = f'ADBOOK_URL = "git+{nbtool.repo_url()}"'
    assert cell.source == nbtool.bootstrap_source() and configured in cell.source
    cell.source = cell.source.replace(configured, f'ADBOOK_URL = "{url}"')
    return notebook


def test_a_notebook_opened_alone_installs_adbook_and_runs(bare_python, tmp_path):
    url = _local_repository(tmp_path / "repository")
    notebook = _with_url(nbformat.read(NOTEBOOK, as_version=4), url)
    folder = tmp_path / "colab"
    folder.mkdir()
    result = _run_in(bare_python, notebook, folder)
    assert result.returncode == 0, result.stderr[-4000:]
    installed = subprocess.run(
        [bare_python["python"], "-c", "import adbook; print(adbook.__file__)"],
        env=bare_python["env"], cwd=folder, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert installed.startswith(str(bare_python["home"] / "venv")), installed


def test_a_wrong_repository_url_gives_a_clear_message(bare_python, tmp_path):
    url = f"git+file://{tmp_path / 'no-such-repository'}"
    notebook = _with_url(nbformat.read(NOTEBOOK, as_version=4), url)
    notebook.cells = notebook.cells[:2]  # the title and the bootstrap cell
    result = _run_in(bare_python, notebook, tmp_path)
    assert result.returncode != 0
    assert f"adbook을 {url}에서 설치하지 못했습니다" in result.stderr, result.stderr[-4000:]
