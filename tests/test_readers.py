"""The notebooks as readers run them, outside the built book.

- Colab renders notebook Markdown as plain CommonMark (no MyST): every word a chapter's Markdown
  cells say must still be shown there, no number may hide behind a role (`{glue}`, `{eval}`), and
  no directive may be a backtick fence (CommonMark shows its body as a code block and drops its
  title).
- JupyterLab, started with `make lab` (jupyterlab-myst renders the MyST): a chapter runs top to
  bottom, no cell fails or writes to stderr, no Markdown cell shows raw MyST, and the sentences
  that carry measured numbers (Markdown outputs of the code) are rendered with their numbers.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request

import nbformat
import pytest
from conftest import ROOT, toc_notebooks
from markdown_it import MarkdownIt

COMMONMARK = MarkdownIt("commonmark").enable("table")  # Colab: CommonMark with tables
LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
CODE_LANGUAGE = re.compile(r"^(\s*(?:`{3,}|~{3,}))[ \t]*[\w+-]+[ \t]*$", re.MULTILINE)  # ```python


def shown_words(markdown):
    """The words a plain CommonMark renderer shows for `markdown` (link targets are not shown)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", COMMONMARK.render(markdown)))
    return set(re.findall(r"\w+", text))


MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.DOTALL)


def hidden_words(markdown):
    """Words of a Markdown cell that a plain CommonMark reader would not see. Math is left out:
    Colab typesets $...$ itself, before Markdown could read its _ and * as emphasis."""
    markdown = MATH.sub(" ", markdown)
    link_targets = " ".join(re.findall(r"\]\(([^)]*)\)", markdown))
    source = CODE_LANGUAGE.sub(r"\1", LIST_MARKER.sub("", markdown.replace(link_targets, "")))
    shown = shown_words(markdown)
    return sorted({word for word in re.findall(r"\w+", source) if word not in shown})


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_markdown_reads_in_plain_commonmark(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        where = f"{path.name}, Markdown cell {index}"
        assert not re.search(r"\{(glue|eval)[:}]", cell.source), f"{where}: a number hidden behind a role"
        assert not re.search(r"^\s*(`{3,}|~{3,})\s*\{", cell.source, re.MULTILINE), (
            f"{where}: a directive in a backtick fence; use a colon fence (:::{{name}}), which CommonMark shows as text"
        )
        assert not hidden_words(cell.source), f"{where}: CommonMark would not show {hidden_words(cell.source)}"


def test_the_commonmark_check_can_fail():
    assert hidden_words("```{exercise} 제목\n본문\n```") == ["exercise", "제목"]
    assert hidden_words(":::{exercise} 제목\n본문\n:::") == []
    assert hidden_words("[링크](https://example.com/page) <!-- 주석 -->") == ["주석"]
    assert hidden_words("```python\nx = 1\n```") == []  # a code block's language is not text
    assert hidden_words("$J_7 J_6$ 곱과 *강조*") == []


# --------------------------------------------------------------------------- JupyterLab

LAB_NOTEBOOK = "ch05_reverse.ipynb"  # runs in ~10 s and states measured numbers in its prose

RUN_ALL_JS = "() => jupyterapp.commands.execute('notebook:run-all-cells')"
KERNEL_READY_JS = """() => {
  const widget = window.jupyterapp && jupyterapp.shell.currentWidget;
  const session = widget && widget.sessionContext && widget.sessionContext.session;
  return !!(session && session.kernel && session.kernel.status === 'idle');
}"""
ALL_RAN_JS = """() => {
  const widget = jupyterapp.shell.currentWidget;
  const code = [...widget.content.model.cells].filter((cell) => cell.type === 'code');
  return code.every((cell) => cell.executionCount !== null)
      && widget.sessionContext.session.kernel.status === 'idle';
}"""
REPORT_JS = r"""() => {
  const cells = [...jupyterapp.shell.currentWidget.content.model.cells];
  const outputs = cells.filter((cell) => cell.type === 'code').flatMap(
      (cell) => [...Array(cell.outputs.length).keys()].map((i) => cell.outputs.get(i).toJSON()));
  return {
    codeCells: cells.filter((cell) => cell.type === 'code').length,
    notRun: cells.filter((cell) => cell.type === 'code' && cell.executionCount === null).length,
    failed: outputs.filter((o) => o.output_type === 'error' || o.name === 'stderr')
        .map((o) => JSON.stringify(o).slice(0, 500)),
    rawMyst: [...document.querySelectorAll('.jp-MarkdownCell')].map((cell) => cell.innerText)
        .filter((text) => /\{(glue|term|doc|cite|eval|exercise|solution)|:::\{|```\{/.test(text))
        .map((text) => text.slice(0, 200)),
    markdownOutputs: outputs.filter((o) => o.data && o.data['text/markdown'])
        .map((o) => [o.data['text/markdown']].flat().join('')),
    renderedOutputs: [...document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="text/markdown"]')].map((e) => e.innerText),
  };
}"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """`make lab` on a copy of one chapter (JupyterLab saves what it runs), on loopback, as root
    too; every cell rendered (no windowing) so that the page shows all of them."""
    folder = tmp_path / "lab"
    folder.mkdir()
    shutil.copy(ROOT / "book" / LAB_NOTEBOOK, folder)
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = _free_port(), secrets.token_hex(16)
    args = (
        f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
        "--LabApp.expose_app_in_browser=True --LabApp.news_url="
    )
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_DIR={folder}", f"LAB_ARGS={args}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=1)
                break
            except OSError:
                assert server.poll() is None, server.communicate()[0][-3000:]
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/lab/tree/{LAB_NOTEBOOK}?token={token}"
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_a_chapter_runs_in_jupyterlab_with_its_myst_rendered(jupyterlab):
    from playwright.sync_api import sync_playwright
    from test_build import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(jupyterlab)
        page.wait_for_function(KERNEL_READY_JS, timeout=60_000, polling=200)
        page.evaluate(RUN_ALL_JS)
        page.wait_for_function(ALL_RAN_JS, timeout=120_000, polling=500)
        report = page.evaluate(REPORT_JS)
        browser.close()
    assert report["codeCells"] > 0 and report["notRun"] == 0
    assert not report["failed"], report["failed"]
    assert not report["rawMyst"], f"MyST shown raw in JupyterLab: {report['rawMyst']}"
    numbers = [re.findall(r"\d+\.\d+", text) for text in report["markdownOutputs"]]
    assert any(numbers), "the chapter states no measured number in a Markdown output"
    rendered = " ".join(report["renderedOutputs"])
    for found in numbers:
        for number in found:
            assert number in rendered, f"{number} is not shown in the rendered prose"
