"""Execute the book's notebooks once, into the jupyter-cache that the build reads.

    python tools/execute.py [--jobs N] [BOOK_ROOT]   # execute every notebook the cache lacks, N at a time

The build runs with `execute_notebooks: cache` (_config.yml): myst-nb takes a notebook's outputs
from the cache when the cache holds a notebook with the same code cells, and executes it otherwise.
Filling the cache first, in parallel, means the build executes nothing, and `make test` executes
each notebook exactly once (its notebook test fills the cache; the build reuses it).

Outputs never come from a stale cache: a notebook's cache key is its code cells, and the whole cache
is cleared whenever the shared package `adbook/` or the pinned environment changes (FINGERPRINTED),
because every notebook imports `adbook`.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = 300  # seconds; the same limit as `execute.timeout` in _config.yml
FINGERPRINTED = ("adbook", "constraints.txt", "requirements.txt", "pyproject.toml")


def cache_dir(root: Path = ROOT) -> Path:
    return root / "_build" / ".jupyter_cache"


def fingerprint(root: Path = ROOT) -> str:
    "A hash of what every notebook's outputs depend on besides its own code: adbook and the environment."
    digest = hashlib.sha256(sys.version.encode())
    for name in FINGERPRINTED:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for file in files:
            if file.exists():
                digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def locked(root: Path = ROOT):
    "One process at a time writes the cache (pytest workers execute notebooks side by side)."
    cache_dir(root).mkdir(parents=True, exist_ok=True)
    with open(cache_dir(root) / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_cache(root: Path = ROOT):
    "The book's jupyter-cache, emptied first if adbook or the environment changed since it was filled."
    with locked(root):
        cache = get_cache(cache_dir(root))
        stamp = cache_dir(root) / "adbook-fingerprint"
        current = fingerprint(root)
        if not stamp.exists() or stamp.read_text() != current:
            cache.clear_cache()
            cache_dir(root).mkdir(parents=True, exist_ok=True)
            stamp.write_text(current)
        return cache


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    "The notebooks that _toc.yml lists, in reading order."
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [root / f"{page}.ipynb" for page in pages if (root / f"{page}.ipynb").exists()]


def run(path: Path, timeout: int = CELL_TIMEOUT) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh kernel, in its own folder, as the build would.

    A failing cell raises nbclient's CellExecutionError, whose message shows the cell's source and
    the traceback. The kernel talks over local (IPC) sockets, so kernels started side by side never
    race for a TCP port.
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nbkernel-") as sockets:
        km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel"))
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            record_timing=False,  # timing metadata would change the cache key
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
        finally:  # the client shuts down only kernels it started itself
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return nb, time.perf_counter() - start


def cached(path: Path, cache) -> nbformat.NotebookNode | None:
    "The notebook with the cache's outputs merged in, or None if the cache lacks its code."
    nb = nbformat.read(path, as_version=4)
    try:
        cache.match_cache_notebook(nb)
    except KeyError:
        return None
    return cache.merge_match_into_notebook(nb)[1]


def execute(path: Path, root: Path = ROOT) -> tuple[nbformat.NotebookNode, float | None]:
    """The executed notebook: from the cache if it holds this code, else run now and cache it.

    Returns (notebook with outputs, seconds it took to run now or None if it came from the cache).
    """
    cache = open_cache(root)
    nb = cached(path, cache)
    if nb is not None:
        return nb, None
    nb, seconds = run(path)
    with locked(root):
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(path.resolve()), data={"execution_seconds": seconds}),
            check_validity=False,
            overwrite=True,
        )
    return nb, seconds


def _execute_one(path: str, root: str) -> tuple[str, float | None, str | None]:
    "Worker: (path, seconds, None) or (path, None, the error with its traceback)."
    try:
        _, seconds = execute(Path(path), Path(root))
    except Exception as error:  # noqa: BLE001 (any failure stops the build, with its traceback)
        return path, None, f"{type(error).__name__}: {error}"
    return path, seconds, None


def execute_all(root: Path = ROOT, jobs: int | None = None) -> int:
    "Execute every notebook the cache lacks, `jobs` at a time. Returns 0, or 1 if a notebook failed."
    cache = open_cache(root)  # clear a stale cache once, before the workers start
    notebooks = [p for p in toc_notebooks(root) if cached(p, cache) is None]
    if not notebooks:
        print("노트북 실행: 모든 노트북의 출력이 캐시에 있습니다.")
        return 0
    jobs = min(jobs or os.cpu_count() or 1, len(notebooks))
    print(f"노트북 실행: {len(notebooks)}개를 {jobs}개씩 나란히 실행합니다.", flush=True)
    failed = False
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no sqlite or zmq state shared by fork
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
        futures = [pool.submit(_execute_one, str(p), str(root)) for p in notebooks]
        for future in as_completed(futures):
            path, seconds, error = future.result()
            name = Path(path).relative_to(root)
            if error is None:
                print(f"  {name}: {seconds:.1f} s", flush=True)
            else:
                failed = True
                print(f"\n노트북 실행 실패: {name}\n{error}", file=sys.stderr, flush=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", nargs="?", default=str(ROOT), help="책의 뿌리 폴더 (기본: 이 저장소)")
    parser.add_argument("--jobs", type=int, default=None, help="나란히 실행할 노트북 수 (기본: 코어 수)")
    args = parser.parse_args(argv)
    return execute_all(Path(args.root).resolve(), args.jobs)


if __name__ == "__main__":
    sys.exit(main())
