"""Sphinx extension: drop repeated <script> entries from every page.

With Jupyter Book 1.0.4 (Sphinx 7.4, sphinx-thebe 0.3.1) sphinx-thebe's inline configuration
script is added to each page twice, and the browser reports
"Identifier 'THEBE_JS_URL' has already been declared" on every page. Keeping the first of
identical script entries removes the error and changes nothing else.
"""

from __future__ import annotations


def _unique_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # The repeated entries differ only in `filename`: None once and "" the other time.
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    # html-page-context stops at the first handler that returns a template name, so run early.
    app.connect("html-page-context", _unique_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
