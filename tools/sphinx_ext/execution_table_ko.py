"""Sphinx extension: myst-nb's execution-statistics table (`nb-exec-table`) in Korean.

myst-nb draws the table with English headers, names each notebook by its path and marks success
with ✅, which a browser without an emoji font (headless Chromium here) draws as an empty box. This
post-transform runs just before myst-nb's own (priority 8), builds the same table with myst-nb's
`make_stat_table` and then relabels it: Korean headers, each notebook by its title (still a link),
the result in words, and the rows in the book's reading order instead of by file name.
"""

from __future__ import annotations

from docutils import nodes
from myst_nb.ext.execution_tables import ExecutionStatsNode, make_stat_table
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.transforms.post_transforms import SphinxPostTransform

HEADERS = {
    "Document": "노트북",
    "Modified": "실행 시각",
    "Method": "방법",
    "Run Time (s)": "실행 시간 (초)",
    "Status": "결과",
}
CELLS = {"✅": "성공", "❌": "실패", "cache": "캐시", "force": "매번 실행", "auto": "실행"}


class KoreanExecutionTable(SphinxPostTransform):
    default_priority = 7  # myst-nb's ExecutionStatsPostTransform is 8

    def run(self, **kwargs):
        for placeholder in list(self.document.findall(ExecutionStatsNode)):
            table = make_stat_table(self.env.docname, NbMetadataCollector.get_doc_data(self.env))
            tbody = next(table.findall(nodes.tbody))
            order = reading_order(self.env)  # each row starts with its notebook's docname
            tbody.children.sort(key=lambda row: order.index(row.next_node(nodes.Text).astext()))
            for text in list(table.findall(nodes.Text)):
                label = HEADERS.get(text.astext()) or CELLS.get(text.astext())
                if label is None and text.astext() in self.env.titles:  # a notebook's docname
                    label = self.env.titles[text.astext()].astext()
                if label is not None:
                    text.parent.replace(text, nodes.Text(label))
            placeholder.replace_self(table)


def reading_order(env):
    """Every document of the book in the order of its tables of contents."""
    order = []

    def walk(docname):
        if docname not in order:
            order.append(docname)
            for child in env.toctree_includes.get(docname, []):
                walk(child)

    walk(env.config.root_doc)
    return order + sorted(set(env.found_docs) - set(order))


def setup(app):
    app.add_post_transform(KoreanExecutionTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
