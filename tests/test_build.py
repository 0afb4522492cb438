"""The book builds with warnings as errors, and the built pages work in a real browser.

These tests are marked `build`: `make test` runs them after every other test, once the notebook
tests have executed each notebook into the jupyter-cache, so the build executes nothing. The book
is built once per pytest run (see `book_build_output` in conftest.py) and the browser checks are
spread over the workers.
"""

from __future__ import annotations

import functools
import html
import http.server
import re
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
from conftest import ROOT, toc_notebooks, toc_pages

pytestmark = pytest.mark.build
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
MATHJAX_LOCAL = ROOT / "node_modules" / "mathjax"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HANGUL_PAIR = ("가", "각")  # two Hangul syllables: drawn alike only if both are missing-glyph boxes
NO_GLYPHS = ("\ue000", "\ue001")  # private-use code points: no font draws them
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# --------------------------------------------------------------------------- the build


def test_the_build_executes_no_notebook(book_build_output):
    """Jupyter Book takes every notebook's outputs from the cache that tools/execute.py filled, so a
    notebook runs once per `make test` (in its notebook test), never again inside the build."""
    output = re.sub(r"\x1b\[[0-9;]*m", "", book_build_output)  # without colours
    read = set(re.findall(r"reading sources\.\.\. *\[ *\d+%\] (\S+)", output))
    notebooks_read = [path for path in toc_notebooks() if path.relative_to(ROOT).with_suffix("").as_posix() in read]
    assert "Executing notebook" not in output
    for path in notebooks_read:  # an incremental build reads only the pages that changed
        assert f"{path}: Using cached notebook" in output, path


def test_book_builds_with_warnings_as_errors(built_book):
    for page in toc_pages():
        assert (built_book / f"{page}.html").is_file(), f"{page}.html was not built"


# --------------------------------------------------------------------------- the browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A page closed while a file was still being sent (the search index) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium (see .ci/run)"
    assert MATHJAX_LOCAL.is_dir(), "node_modules/mathjax is missing: run `npm ci` (make test does)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _route(route, request, blocked):
    url = request.url
    if url.startswith("http://127.0.0.1"):
        return route.continue_()
    if url.startswith(MATHJAX_CDN):
        local = MATHJAX_LOCAL / url[len(MATHJAX_CDN) :].split("?")[0]
        if local.is_file():
            return route.fulfill(path=str(local))
    blocked.append(url)
    return route.abort()


def _open(browser, url):
    """Open a page offline (MathJax from node_modules), collecting script errors and blocked requests."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, blocked = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/*", lambda route, request: _route(route, request, blocked))
    response = page.goto(url, wait_until="load")
    page.evaluate(SETTLE_JS)
    return page, response, errors, blocked


# Wait until MathJax has typeset the page and every web font has loaded, so that what the
# checks below see (and screenshot) no longer changes.
SETTLE_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  await document.fonts.ready;
}
"""


PAGE_REPORT_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const images = [...document.images];
  for (const img of images) { img.loading = "eager"; }
  const loaded = await Promise.all(images.map(img =>
      img.decode().then(() => [img.currentSrc || img.src, img.naturalWidth > 0],
                        () => [img.currentSrc || img.src, false])));
  const text = document.body.innerText;
  // Widths are measured with every folded block open (solutions, hidden inputs), as a reader sees
  // them after a click; a closed block has no width and could not fail.
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  document.querySelectorAll(".toggle-hidden").forEach(e => e.classList.remove("toggle-hidden"));
  return {
    mathjaxLoaded: !!(window.MathJax && MathJax.version),
    mathNodes: document.querySelectorAll("span.math, div.math").length,
    mathUntypeset: [...document.querySelectorAll("span.math, div.math")]
        .filter(el => !el.querySelector("mjx-container")).map(el => el.textContent.slice(0, 80)),
    mathErrors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")]
        .map(el => el.getAttribute("data-mjx-error") || el.textContent),
    images: loaded,
    errorOutputs: document.querySelectorAll(".output.traceback, .output.stderr, .output.error").length,
    tracebackText: text.includes("Traceback (most recent call last)"),
    scrollingBlocks: [...document.querySelectorAll("article pre")]
        .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
        .map(pre => pre.innerText.split("\\n").reduce((a, b) => (b.length > a.length ? b : a), "").slice(0, 100)),
    wideMath: [...document.querySelectorAll("article mjx-container[display='true']")]
        .filter(m => m.scrollWidth > m.clientWidth + 1)
        .map(m => (m.getAttribute("aria-label") || m.textContent).slice(0, 100)),
    splitStreams: document.querySelectorAll(".cell_output > .output.stream + .output.stream").length,
    wideTables: [...document.querySelectorAll("article table")]
        .filter(t => t.getBoundingClientRect().width > t.closest("article").clientWidth + 1)
        .map(t => t.innerText.slice(0, 100)),
    title: document.title,
  };
}
"""


@functools.cache
def _report(browser, server, page_name):
    page, response, errors, blocked = _open(browser, f"{server}/{page_name}.html")
    try:
        report = page.evaluate(PAGE_REPORT_JS)
        report.update(status=response.status if response else None, scriptErrors=errors, blocked=blocked)
        report["hangul"] = _hangul_renders(page)
        return report
    finally:
        page.close()


def _glyph_png(page, text):
    """Screenshot of `text` drawn large in the page's own body font."""
    handle = page.evaluate_handle(
        """(t) => {
            const s = document.createElement("span");
            s.textContent = t;
            s.style.cssText = "font-size:64px;line-height:1.2;padding:4px;background:#fff;color:#000;"
                            + "position:fixed;top:0;left:0;z-index:99999";
            (document.querySelector("main, article, body")).appendChild(s);
            return s;
        }""",
        text,
    )
    page.evaluate(SETTLE_JS)
    png = handle.as_element().screenshot(animations="disabled")
    handle.evaluate("s => s.remove()")
    return png


def _drawn_differently(page, a, b):
    """Whether `a` and `b` are drawn differently, from screenshots that are stable (taken again
    until two in a row agree, so that a repaint in progress cannot decide the answer)."""

    def stable_png(text):
        previous = _glyph_png(page, text)
        for _ in range(5):
            current = _glyph_png(page, text)
            if current == previous:
                return current
            previous = current
        raise AssertionError(f"the drawing of {text!r} did not settle")

    return stable_png(a) != stable_png(b)


def _hangul_renders(page):
    return _drawn_differently(page, *HANGUL_PAIR)


PAGES = toc_pages()


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_script_errors(browser, server, name):
    report = _report(browser, server, name)
    assert report["status"] == 200
    assert report["title"], "page has no title"
    assert not report["scriptErrors"], report["scriptErrors"]


@pytest.mark.parametrize("name", PAGES)
def test_page_math_is_typeset_without_errors(browser, server, name):
    report = _report(browser, server, name)
    if report["mathNodes"]:
        assert report["mathjaxLoaded"], f"MathJax did not load; blocked requests: {report['blocked']}"
    assert not report["mathUntypeset"], f"math left as raw TeX: {report['mathUntypeset']}"
    assert not report["mathErrors"], f"MathJax errors: {report['mathErrors']}"


@pytest.mark.parametrize("name", PAGES)
def test_page_images_load(browser, server, name):
    report = _report(browser, server, name)
    broken = [src for src, ok in report["images"] if not ok]
    assert not broken, f"images that did not load: {broken}"


@pytest.mark.parametrize("name", PAGES)
def test_page_shows_no_error_output(browser, server, name):
    report = _report(browser, server, name)
    assert report["errorOutputs"] == 0, "an error, traceback or stderr output is shown on the page"
    assert not report["tracebackText"], "a Python traceback is shown on the page"


@pytest.mark.parametrize("name", PAGES)
def test_page_code_and_tables_fit_without_scrolling(browser, server, name):
    """At a 1280-px window no code or output block scrolls sideways, folded ones opened, and no table
    or displayed equation is wider than the page (the notebooks' code is formatted at 75 columns;
    printed lines are kept to that width)."""
    report = _report(browser, server, name)
    assert not report["scrollingBlocks"], (
        f"blocks that scroll sideways (longest line of each): {report['scrollingBlocks']}"
    )
    assert not report["wideTables"], f"tables wider than the page: {report['wideTables']}"
    assert not report["wideMath"], f"display math wider than the page: {report['wideMath']}"


@pytest.mark.parametrize("name", PAGES)
def test_page_shows_one_box_per_printed_output(browser, server, name):
    """What one cell prints is one grey box, not one box per print call (nb_merge_streams)."""
    assert _report(browser, server, name)["splitStreams"] == 0


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_hangul(browser, server, name):
    assert _report(browser, server, name)["hangul"], "Hangul is drawn as missing-glyph boxes"


def test_the_checks_see_math_and_figures(browser, server):
    """The per-page checks are not vacuous: the book has typeset math and loaded figures."""
    reports = [_report(browser, server, name) for name in PAGES]
    assert sum(r["mathNodes"] for r in reports) > 0
    assert sum(ok for r in reports for _, ok in r["images"]) > 0


def test_hangul_check_can_fail(browser, server):
    """Two characters that no font has are drawn as the same box, so the check above would fail
    on a page whose fonts lack Hangul (as it does on a machine without a Korean font)."""
    page, *_ = _open(browser, f"{server}/{PAGES[0]}.html")
    try:
        assert not _drawn_differently(page, *NO_GLYPHS)
    finally:
        page.close()


# --------------------------------------------------------------------------- search


def _page_text(page_name):
    """What a page's source says: a Markdown page whole, a notebook's Markdown and code cells."""
    path = ROOT / f"{page_name}.md"
    if path.exists():
        return path.read_text(encoding="utf-8")
    notebook = nbformat.read(ROOT / f"{page_name}.ipynb", as_version=4)
    return "\n".join(cell.source for cell in notebook.cells)


@functools.cache
def _page_texts():
    return {name: _page_text(name) for name in PAGES}


def _pages_using(pattern):
    return {name for name, text in _page_texts().items() if re.search(pattern, text, re.IGNORECASE)}


@functools.cache
def _article_texts(built_book):
    """The text of each built page's article (without the navigation, which names every chapter)."""
    texts = {}
    for name in PAGES:
        page = (built_book / f"{name}.html").read_text(encoding="utf-8")
        article = page[page.index("<article") : page.rindex("</article>")]
        texts[name] = html.unescape(re.sub(r"<[^>]+>", " ", article))
    return texts


def _search(browser, server, query):
    """The pages that the book's search page lists for `query`, typed as a reader types it."""
    page, response, errors, _ = _open(browser, f"{server}/search.html?q={quote(query)}")
    try:
        assert response.status == 200
        page.wait_for_function("() => Search.status && Search.status.innerText !== ''", timeout=20_000)
        hrefs = page.locator("#search-results ul.search li a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert not errors, errors
        return {re.sub(r"\.html.*$", "", href) for href in hrefs}
    finally:
        page.close()


KOREAN_QUERIES = ["미분", "기울기", "야코비", "후진 모드", "이원수"]


@pytest.mark.parametrize("query", KOREAN_QUERIES + ["jacrev", "vjp"])
def test_search_finds_every_page_that_uses_the_words(browser, server, built_book, query):
    """Every page whose source uses the query's words, in any inflected form (미분을, 미분한다,
    이원수와, …), is found; and nothing else: each page found uses every word of the query."""
    words = query.split()
    if re.fullmatch(r"[a-z]+", query):  # an English identifier: as a word of its own, not in vjp_once
        expected = _pages_using(rf"(?<![A-Za-z0-9_]){query}(?![A-Za-z0-9_])")
    else:  # 후진 모드 is also written 후진모드
        expected = _pages_using(r"\s*".join(words))
    found = _search(browser, server, query)
    assert expected, f"no page uses {query!r}: the test would check nothing"
    assert expected <= found, f"pages that use {query!r} and were not found: {sorted(expected - found)}"
    # Generated text counts too (the execution table on 실행 환경 names every chapter). Search ignores
    # case, as Sphinx's does: vjp finds VJP.
    articles = _article_texts(built_book)
    using_every_word = {name for name, text in articles.items() if all(word.lower() in text.lower() for word in words)}
    assert found <= using_every_word, f"found pages without {query!r}: {sorted(found - using_every_word)}"


def test_search_ignores_particles(browser, server):
    assert _search(browser, server, "미분을") == _search(browser, server, "미분")
    assert _search(browser, server, "이원수와") == _search(browser, server, "이원수")


# For every query word, the pages on which the index has every part that splitQuery makes of it.
FOUND_ON_JS = """(words) => {
  const pages = (term) => {
    const stem = new Stemmer().stemWord(term);
    return [Search._index.terms[stem], Search._index.titleterms[stem]].flat()
      .filter((i) => i !== undefined).map((i) => Search._index.docnames[i]);
  };
  return Object.fromEntries(words.map((word) => {
    const sets = splitQuery(word).map((part) => new Set(pages(part)));
    return [word, Search._index.docnames.filter((doc) => sets.every((set) => set.has(doc)))];
  }));
}"""


def test_search_finds_every_inflected_glossary_term(browser, server):
    """Each word of the book that begins with a glossary word of two or more syllables (미분을,
    역전파로, 이원수끼리, 야코비-벡터 곱의 …) finds, searched exactly as written, every page
    that uses it: the query side cuts it where the index side (Kiwi) did."""
    page, *_ = _open(browser, f"{server}/book/glossary.html")
    try:
        terms = page.evaluate(
            "() => [...document.querySelectorAll('dl.glossary dt')].map(dt => dt.firstChild.textContent)"
        )
        page.goto(f"{server}/search.html")
        page.wait_for_function("() => Search.hasIndex()")
        glossary_words = {w for term in terms for w in re.findall(r"\w+", term) if HANGUL.search(w) and len(w) >= 2}
        assert {"미분", "이원수", "역전파", "야코비"} <= glossary_words
        words = {}
        for name, text in _page_texts().items():
            for word in re.findall(r"\w+", text):
                if word.startswith(tuple(glossary_words)):
                    words.setdefault(word, set()).add(name)
        found = page.evaluate(FOUND_ON_JS, sorted(words))
    finally:
        page.close()
    missed = {word: sorted(pages - set(found[word])) for word, pages in words.items() if not pages <= set(found[word])}
    assert len(words) > 300, len(words)
    assert not missed, f"words whose search misses pages that use them: {missed}"


EXEC_TABLE_JS = """() => {
  const table = [...document.querySelectorAll("table")]
      .find((t) => t.innerText.includes("실행 시간 (초)"));
  if (!table) return null;
  return {
    headers: [...table.querySelectorAll("thead th")].map((th) => th.innerText.trim()),
    rows: [...table.querySelectorAll("tbody tr")].map((tr) => ({
      cells: [...tr.querySelectorAll("td")].map((td) => td.innerText.trim()),
      href: tr.querySelector("td a") && new URL(tr.querySelector("td a").href).pathname,
    })),
  };
}"""


def test_execution_table_is_in_korean(browser, server):
    """The table of execution times on 실행 환경: Korean headers, each notebook by its title (a link)
    in reading order, and the result in words (the ✅ that myst-nb writes is drawn as a box without
    an emoji font)."""
    page, *_ = _open(browser, f"{server}/book/environment.html")
    try:
        table = page.evaluate(EXEC_TABLE_JS)
    finally:
        page.close()
    assert table is not None, "no execution table on the page"
    assert table["headers"] == ["노트북", "실행 시각", "방법", "실행 시간 (초)", "결과"]
    in_reading_order = [path.stem for path in toc_notebooks()]
    assert [Path(row["href"]).stem for row in table["rows"]] == in_reading_order
    for row in table["rows"]:
        title, _, method, seconds, result = row["cells"]
        assert re.search(r"[\uac00-\ud7a3]", title) and "/" not in title, title
        assert method == "캐시" and result == "성공", row
        assert float(seconds) > 0
