"""The book builds with warnings as errors, and the built pages work in a real browser.

These tests are marked `build`: `make test` runs them after every other test, once the notebook
tests have executed each notebook into the jupyter-cache, so the build executes nothing. The real
book's build and its browser checks share one pytest-xdist group (one worker builds once); the
small temporary books build on the other worker (`--dist loadgroup`).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import FIXTURES, ROOT, book_build, make_temp_book, toc_pages

pytestmark = pytest.mark.build
BUILD = pytest.mark.xdist_group("build")
TEMP_BUILD = pytest.mark.xdist_group("temp-build")
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


# --------------------------------------------------------------------------- the build


@BUILD
def test_book_builds_with_warnings_as_errors(built_book):
    for page in toc_pages():
        assert (built_book / f"{page}.html").is_file(), f"{page}.html was not built"


def _build_output(tmp_path, pages):
    result = book_build.build(make_temp_book(tmp_path, pages), capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


@TEMP_BUILD
def test_temp_book_of_good_pages_builds(tmp_path):
    """Control for the two tests below: the temporary-book set-up itself builds."""
    code, output = _build_output(tmp_path, {"good": FIXTURES / "good_page.md"})
    assert code == 0, output[-4000:]


@TEMP_BUILD
def test_broken_notebook_fails_the_build(tmp_path):
    code, output = _build_output(tmp_path, {"good": FIXTURES / "good_page.md", "broken": FIXTURES / "broken.ipynb"})
    assert code != 0
    assert "ZeroDivisionError" in output


@TEMP_BUILD
def test_broken_cross_reference_fails_the_build(tmp_path):
    code, output = _build_output(tmp_path, {"good": FIXTURES / "good_page.md", "bad": FIXTURES / "broken_ref.md"})
    assert code != 0
    assert "no-such-label" in output


# --------------------------------------------------------------------------- the browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
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


@BUILD
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_script_errors(browser, server, name):
    report = _report(browser, server, name)
    assert report["status"] == 200
    assert report["title"], "page has no title"
    assert not report["scriptErrors"], report["scriptErrors"]


@BUILD
@pytest.mark.parametrize("name", PAGES)
def test_page_math_is_typeset_without_errors(browser, server, name):
    report = _report(browser, server, name)
    if report["mathNodes"]:
        assert report["mathjaxLoaded"], f"MathJax did not load; blocked requests: {report['blocked']}"
    assert not report["mathUntypeset"], f"math left as raw TeX: {report['mathUntypeset']}"
    assert not report["mathErrors"], f"MathJax errors: {report['mathErrors']}"


@BUILD
@pytest.mark.parametrize("name", PAGES)
def test_page_images_load(browser, server, name):
    report = _report(browser, server, name)
    broken = [src for src, ok in report["images"] if not ok]
    assert not broken, f"images that did not load: {broken}"


@BUILD
@pytest.mark.parametrize("name", PAGES)
def test_page_shows_no_error_output(browser, server, name):
    report = _report(browser, server, name)
    assert report["errorOutputs"] == 0, "an error, traceback or stderr output is shown on the page"
    assert not report["tracebackText"], "a Python traceback is shown on the page"


@BUILD
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_hangul(browser, server, name):
    assert _report(browser, server, name)["hangul"], "Hangul is drawn as missing-glyph boxes"


@BUILD
def test_the_checks_see_math_and_figures(browser, server):
    """The per-page checks are not vacuous: the book has typeset math and loaded figures."""
    reports = [_report(browser, server, name) for name in PAGES]
    assert sum(r["mathNodes"] for r in reports) > 0
    assert sum(ok for r in reports for _, ok in r["images"]) > 0


@BUILD
def test_hangul_check_can_fail(browser, server):
    """Two characters that no font has are drawn as the same box, so the check above would fail
    on a page whose fonts lack Hangul (as it does on a machine without a Korean font)."""
    page, *_ = _open(browser, f"{server}/{PAGES[0]}.html")
    try:
        assert not _drawn_differently(page, *NO_GLYPHS)
    finally:
        page.close()


@BUILD
@pytest.mark.parametrize("word", ["자동"])
def test_search_finds_a_korean_word(browser, server, word):
    page, response, errors, _ = _open(browser, f"{server}/search.html?q={quote(word)}")
    try:
        assert response.status == 200
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=20_000)
        links = results.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert any("intro" in (href or "") for href in links), links
        assert not errors, errors
    finally:
        page.close()
