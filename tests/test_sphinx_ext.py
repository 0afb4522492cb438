"""The book's small Sphinx extensions (tools/sphinx_ext/)."""

from __future__ import annotations

import sys

from conftest import ROOT
from pybtex.database import parse_file
from sphinx.builders.html._assets import _JavaScript

sys.path.insert(0, str(ROOT / "tools" / "sphinx_ext"))

import author_year_bib  # noqa: E402
import korean_search  # noqa: E402
import unique_scripts  # noqa: E402


def test_bibliography_labels_read_like_the_citations():
    entries = parse_file(ROOT / "book" / "references.bib").entries
    labels = {key: author_year_bib.author_year_label(entry) for key, entry in entries.items()}
    assert labels["baydin2018automatic"] == "Baydin et al., 2018"
    assert labels["bishop2024deep"] == "Bishop and Bishop, 2024"
    assert labels["griewank2008evaluating"] == "Griewank and Walther, 2008"
    assert labels["jaxdocs"] == "The JAX Authors, 2026"


def test_repeated_scripts_are_dropped_and_order_kept():
    body = {"body": "const THEBE_JS_URL = 1"}
    scripts = [
        _JavaScript("_static/a.js"),
        _JavaScript(None, **body),
        _JavaScript("_static/b.js"),
        _JavaScript("", **body),  # the repeat Sphinx makes, with "" for None
        _JavaScript(None, **{"body": "other"}),
    ]
    context = {"script_files": scripts}
    unique_scripts._unique_scripts(None, "page", "page.html", context, None)
    assert [(s.filename, s.attributes.get("body")) for s in context["script_files"]] == [
        ("_static/a.js", None),
        (None, "const THEBE_JS_URL = 1"),
        ("_static/b.js", None),
        (None, "other"),
    ]


def test_korean_search_indexes_morphemes_and_keeps_identifiers_whole():
    language = korean_search.SearchKorean({})
    language.user_words = ("이원수", "역전파")
    words = language.split("이원수를 jacrev와 float64로 미분한다. 역전파에서는 vjp_once가 기울기를 구한다")
    assert words == ["이원수", "jacrev", "float64", "미분", "역전파", "vjp_once", "기울기", "구하"]
    # Without the glossary's words Kiwi cuts the book's terms apart, which is why they are added.
    assert korean_search.SearchKorean({}).split("이원수를 역전파로") != ["이원수", "역전파"]


def test_korean_search_indexes_touching_nouns_also_joined():
    """Kiwi cuts the same noun differently in different words (중앙값을 → 중앙 + 값, but 중앙값입니다 →
    중앙값): the index holds the joined run too, so a search for 중앙값 finds both pages."""
    language = korean_search.SearchKorean({})
    language.user_words = ("중앙", "값", "미분")
    assert language.split("중앙값을") == ["중앙", "중앙값", "값"]
    assert "중앙값" in language.split("중앙값입니다")
    assert language.split("자동미분을 미분 값") == ["자동", "자동미분", "미분", "미분", "값"]
    assert language.split("미분한다") == ["미분"]  # a noun and a verb suffix are not joined


def test_korean_search_english_words_are_indexed_as_in_english():
    from sphinx.search.en import SearchEnglish

    text = "Forward-mode AD computes Jacobians with jax.jacfwd (Griewank and Walther)"
    korean, english = korean_search.SearchKorean({}), SearchEnglish({})
    assert korean.split(text) == english.split(text)
    assert [korean.stem(w) for w in korean.split(text)] == [english.stem(w) for w in english.split(text)]


def test_korean_search_glossary_words_come_from_the_glossary_terms():
    class Domain:
        _terms = {"자동 미분": None, "야코비-벡터 곱": None, "jvp": None, "ad": None}

    class Env:
        def get_domain(self, name):
            assert name == "std"
            return Domain()

    assert korean_search.glossary_words(Env()) == ("곱", "미분", "벡터", "야코비", "자동")


def test_korean_search_joins_a_noun_suffix_and_knows_the_ending_ryeo():
    language = korean_search.SearchKorean({})
    language.user_words = ("계산",)
    assert "계산량" in language.split("계산량은")
    assert "려" in korean_search.ENDING_PIECES  # 전치하려(고) → 전치


def test_a_changed_glossary_makes_every_page_be_read_again(tmp_path):
    glossary = tmp_path / "glossary.md"
    glossary.write_text("```{glossary}\n미분\n  differentiation\n```\n", encoding="utf-8")

    class Env:
        found_docs = {"glossary", "ch01", "ch02"}

        def doc2path(self, doc):
            return tmp_path / f"{doc}.md"

    env = Env()
    reread = korean_search._reread_all_when_glossary_changes
    assert reread(None, env, set(), set(), set()) == ["ch01", "ch02", "glossary"]
    assert reread(None, env, set(), set(), set()) == []  # unchanged: nothing extra
    glossary.write_text("```{glossary}\n미분\n  differentiation\n\n전치\n  transpose\n```\n", encoding="utf-8")
    assert reread(None, env, set(), set(), set()) == ["ch01", "ch02", "glossary"]
