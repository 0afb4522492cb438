"""Sphinx extension: a Korean search language for the book's search page (language: ko).

Sphinx has no Korean search language. It indexes 미분을, 미분은, 미분의 … as different words, and
its query side matches parts of words only for queries longer than two letters, so a search for
미분 misses most of the pages that use the word.

Index side: every word that contains Hangul is split into morphemes by the Kiwi analyzer
(kiwipiepy), as Sphinx's Chinese language splits with jieba, and only the content morphemes
(nouns, roots, verb stems, adverbs, foreign words, numbers) go into the index; particles and
endings are dropped. Runs of Latin letters and digits stay whole (jacrev와 → jacrev), so English
terms are indexed exactly as the English language indexes them (Porter stems). The glossary's
terms are added to Kiwi's dictionary before indexing, so that the book's own words stay whole
(Kiwi alone reads 이원수 as 이 + 원수, 역전파 as 역전 + 파).

Query side (`splitQuery` in language_data.js): a query word that the index holds is searched as it
is. Otherwise it is cut into the longest head that the index holds and a rest that is either
particles and endings (미분을 → 미분, 미분한다 → 미분) or more indexed words (자동미분 → 자동, 미분).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from sphinx.search.en import SearchEnglish

HANGUL = re.compile(r"[\uac00-\ud7a3]")
NOT_HANGUL_RUN = re.compile(r"[^\uac00-\ud7a3]+")

# Kiwi's tags (Sejong tag set) of the morphemes that go into the index.
INDEXED_TAGS = ("NN", "NR", "NP", "XR", "VV", "VA", "MAG")

# Pieces that particles, endings and noun suffixes (-들, -화, -용) are made of. The query side
# strips a rest made of these after an indexed head: 미분을, 미분에서는, 미분한다, 이원수이므로 ...
PARTICLES = """
    이 가 을 를 은 는 의 에 에서 에게 께 한테 로 으로 와 과 도 만 까지 부터 보다 처럼 마다
    나 이나 랑 이랑 만큼 조차 뿐 밖에 서 야 이야 라 이라 란 이란 든 이든 든지 대로 씩 끼리
    들 적 째 짜리 별 형 용 당 쯤 화
"""
# Copula (이다), 하다/되다/시키다 and the endings after them; pre-final endings (었, 겠, 시).
ENDINGS = """
    이 인 일 임 입 였 이었 하 한 할 함 합 해 했 하였 되 된 될 됨 됩 돼 됐 되었 시키 시킨 시켜
    니다 습니다 다 고 며 으며 면 으면 서 어 아 여 지 게 기 음 므로 으므로 니 으니 니까 지만
    는데 은데 던 도록 려면 으려면 려고 세요 으세요 시 자 죠 요 거나 는지 은지 인지 다면 라면
    다는 라는 다고 라고 었 았 겠 듯 듯이 느냐 냐 가 수록 려 으려
"""
ENDING_PIECES = sorted(set(PARTICLES.split()) | set(ENDINGS.split()))

JS_SPLITTER = """
/* Korean query words (tools/sphinx_ext/korean_search.py): cut a word the index does not hold
   into indexed words and particles or endings: 미분을 -> [미분], 자동미분 -> [자동, 미분]. */
const KOREAN_ENDING_PIECES = new Set(%(pieces)s);
const koreanStemmer = new Stemmer();
const koreanIndexed = (word) => {
  const stem = koreanStemmer.stemWord(word);
  // a term maps to one page (a number) or to a list of pages, empty for a term left over
  // from an earlier build
  const onPages = (terms) => Object.hasOwn(terms, stem) && [terms[stem]].flat().length > 0;
  return Search._index !== null && (onPages(Search._index.terms) || onPages(Search._index.titleterms));
};
const koreanEnding = (rest) => rest === "" || [...Array(rest.length).keys()].some(
  (cut) => KOREAN_ENDING_PIECES.has(rest.slice(0, cut + 1)) && koreanEnding(rest.slice(cut + 1)));
const koreanParts = (word) => {
  if (koreanIndexed(word)) return [word];
  for (let cut = word.length - 1; cut > 0; cut--) {
    const head = word.slice(0, cut), rest = word.slice(cut);
    if (!koreanIndexed(head)) continue;
    if (koreanEnding(rest)) return [head];
    const more = koreanParts(rest);
    if (more !== null) return [head, ...more];
  }
  return null;
};
var splitQuery = (query) => query
  .split(/[^\\p{Letter}\\p{Number}_\\p{Emoji_Presentation}]+/gu)
  .filter((term) => term)
  .flatMap((term) => /[\\uac00-\\ud7a3]/.test(term) ? koreanParts(term.toLowerCase()) || [term] : [term]);
"""


class SearchKorean(SearchEnglish):
    """Korean words split into morphemes by Kiwi; everything else as in English."""

    lang = "ko"
    language_name = "Korean"
    js_splitter_code = JS_SPLITTER % {"pieces": json.dumps(ENDING_PIECES, ensure_ascii=False)}
    user_words: tuple[str, ...] = ()  # set from the glossary before indexing (see setup)

    def init(self, options):
        super().init(options)
        self._kiwi = None
        self._morphemes = {}

    def kiwi(self):
        if self._kiwi is None:
            from kiwipiepy import Kiwi

            self._kiwi = Kiwi()
            for word in self.user_words:
                self._kiwi.add_user_word(word, "NNP")
        return self._kiwi

    def split(self, input):
        words = []
        for word in self._word_re.findall(input):
            words.extend(self.morphemes(word) if HANGUL.search(word) else [word])
        return words

    def morphemes(self, word):
        """Index words of one word with Hangul: Latin runs whole, Hangul runs by Kiwi's morphemes."""
        if word not in self._morphemes:
            tokens = self.kiwi().tokenize(word)
            kept = [(t.start, t.form) for t in tokens if t.tag.startswith(INDEXED_TAGS) and HANGUL.search(t.form)]
            kept += self.compounds(tokens)
            kept += [(m.start(), m.group()) for m in NOT_HANGUL_RUN.finditer(word)]
            self._morphemes[word] = [form for _, form in sorted(kept)]
        return self._morphemes[word]

    @staticmethod
    def compounds(tokens):
        """Runs of nouns that touch, with the noun suffixes (XSN: -량, -화, -들) that follow them, joined:
        Kiwi reads 중앙값을 as 중앙 + 값 + 을 in one word and 중앙값입니다 as 중앙값 + 이다 in another, and
        계산량은 as 계산 + 량 + 은 but 계산량 as 계산 + 량 (a noun), so the index holds 중앙값 and 계산량 for
        every one of them."""
        runs, run = [], []
        for t in [*tokens, None]:
            joins = t is not None and (t.tag.startswith("NN") or (t.tag == "XSN" and run))
            if joins and (not run or run[-1].end == t.start):
                run.append(t)
                continue
            if len(run) > 1:
                runs.append((run[0].start, "".join(r.form for r in run)))
            run = [t] if t is not None and t.tag.startswith("NN") else []
        return runs


def glossary_words(env):
    """The Hangul words of every glossary term: 야코비-벡터 곱 → 야코비, 벡터, 곱."""
    terms = env.get_domain("std")._terms
    return tuple(sorted({w for term in terms for w in re.findall(r"\w+", term) if HANGUL.search(w)}))


def _note_glossary(app, env):
    SearchKorean.user_words = glossary_words(env)
    return []


def _reread_all_when_glossary_changes(app, env, added, changed, removed):
    """The glossary's words change how Kiwi cuts every page, so a changed glossary re-indexes every page
    (otherwise pages read before the change keep their old cuts and the two sides of the search disagree)."""
    glossaries = [doc for doc in env.found_docs if doc.endswith("glossary")]
    digest = hashlib.sha256(b"".join(Path(env.doc2path(doc)).read_bytes() for doc in sorted(glossaries)))
    if getattr(env, "korean_glossary_digest", None) == digest.hexdigest():
        return []
    env.korean_glossary_digest = digest.hexdigest()
    return sorted(env.found_docs)


def setup(app):
    app.add_search_language(SearchKorean)
    app.connect("env-updated", _note_glossary)
    app.connect("env-get-outdated", _reread_all_when_glossary_changes)
    # A new env_version makes Sphinx rebuild every page, so an edit of this file re-indexes the book.
    env_version = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8], 16)
    return {"env_version": env_version, "parallel_read_safe": True, "parallel_write_safe": True}
