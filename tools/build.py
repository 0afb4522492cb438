"""Build the book exactly as CI, `make book` and the Pages workflow do.

    python tools/build.py [BOOK_ROOT]

First every notebook that the jupyter-cache lacks is executed, in parallel (tools/execute.py); then
Jupyter Book builds the pages with `execute_notebooks: cache`, taking the outputs from the cache. A
failing cell, a warning (`-W`) or a broken cross-reference (`-n`, nitpicky) makes the build exit
non-zero.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["-n", "-W", "--keep-going"]


def command(book_root: Path) -> list[str]:
    jb = Path(sys.executable).with_name("jupyter-book")
    return [str(jb), "build", str(book_root), *FLAGS]


def build(book_root: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    """Execute the notebooks the cache lacks, then build. With capture_output, the result holds the
    output of both steps."""
    executed = subprocess.run([sys.executable, str(ROOT / "tools" / "execute.py"), str(book_root)], **kwargs)
    if executed.returncode != 0:
        return executed
    built = subprocess.run(command(book_root), **kwargs)
    if built.stdout is not None:
        built.stdout = executed.stdout + built.stdout
        built.stderr = executed.stderr + built.stderr
    return built


if __name__ == "__main__":
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    result = build(root)
    if result.returncode == 0:
        print(f"\n책이 만들어졌습니다: {root / '_build' / 'html' / 'index.html'}")
        print("브라우저로 여세요 (예: python -m http.server -d _build/html 8000 후 http://localhost:8000).")
    sys.exit(result.returncode)
