"""Korean text into the lemmas that search matches: one analyser for the texts and for the queries.

Kiwi (PyPI kiwipiepy, its model from the kiwipiepy-model wheel: nothing is downloaded) splits a phrase
into morphemes; particles (조사), endings (어미) and suffixes such as 들 are dropped, so `설명회를` and
`주민들과` become 설명회 and 주민. It also splits compounds, with or without the space (마을공동체 and
마을 공동체 both give 마을, 공동체), so a compound in a query matches its parts in a text and back.
Measured against mecab-ko (python-mecab-ko with its dictionary wheel), which is ten times faster but
reads 주민설명회를 as 주/민설/명회 and 비대면 as a verb: see docs/search.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

# Content morphemes kept as lemmas: common and proper nouns, foreign words (유튜브, zoom), Hanja,
# roots (XR), and verb and adjective stems (찾아가는 -> 찾아가).
NOUN_TAGS = {"NNG", "NNP", "SL", "SH", "XR"}
STEM_TAGS = {"VV", "VA"}
# Verbs that work as postpositions (~을 위한, 통한, 대한, 따른, 관한, 의한): in a third of the texts, they
# say nothing of the activity, and a query that has them should not rank by them.
STOP_STEMS = {"위하", "통하", "대하", "따르", "관하", "의하"}
# A noun prefix belongs to its noun: 비+대면 -> 비대면 (the opposite of 대면), 소+상공인 -> 소상공인.
PREFIX_TAG = "XPN"
# In a long run of Hangul Kiwi sometimes keeps a compound whole as an unknown word (한옥마을비빔공동체,
# 랜선체육대회). Such a noun, at least this long, is also indexed by its known parts, so 공동체 finds it;
# a word Kiwi knows (오리엔테이션) is never split.
COMPOUND_MIN = 4
# Kiwi's score of a known noun is above this (about -4 to -15); a word it does not know, read as one
# noun, scores far below (-25 and less).
KNOWN_SCORE = -18.0


@lru_cache(maxsize=1)
def analyser():
    """The Kiwi analyser, made once per process (about 0.6 s). The typo and multi-word dictionaries
    stay off: the reports are edited text, and they double the load time."""
    from kiwipiepy import Kiwi

    return Kiwi(load_typo_dict=False, load_multi_dict=False)


def version() -> str:
    """What a change of makes cached analyses stale (the parse cache's fingerprint reads it)."""
    from importlib.metadata import version as installed

    return f"kiwipiepy {installed('kiwipiepy')}, kiwipiepy-model {installed('kiwipiepy-model')}"


def _lemmas(morphemes) -> list[tuple[str, bool]]:
    """(lemma, whether Kiwi did not know it as one word) of each content morpheme."""
    out: list[tuple[str, bool]] = []
    prefix = ""
    for m in morphemes:
        if m.tag == PREFIX_TAG:
            prefix = m.form
            continue
        if m.tag in NOUN_TAGS:
            out.append(((prefix + m.form).lower(), m.score < KNOWN_SCORE))
        elif m.tag in STEM_TAGS and len(m.form) > 1 and m.form not in STOP_STEMS:  # 하, 되, 있: nothing either
            out.append((m.form, False))
        prefix = ""
    return out


def lemmas(text: str) -> list[str]:
    """The lemmas of one text, in order (repeats kept: they are the term frequencies)."""
    return lemmas_of([text])[0]


# Lemmas of the texts analysed in this process. A city's yearly report reprints most of the activities of
# the reports before it word for word, so a run over a city's reports analyses each text once; bounded, so
# that a run over hundreds of cities' reports does not keep every text.
_ANALYSED: dict[str, list[str]] = {}
ANALYSED_KEPT = 200_000


def lemmas_of(texts: Sequence[str]) -> list[list[str]]:
    """The lemmas of many texts at once (Kiwi analyses a batch on its worker threads); a long compound
    noun is followed by its known parts. A text's lemmas do not depend on the other texts of the batch."""
    known = {t: _ANALYSED[t] for t in dict.fromkeys(texts) if t in _ANALYSED}
    new = [t for t in dict.fromkeys(texts) if t not in known]
    if new:
        analysed = [_lemmas(morphemes) for morphemes in analyser().tokenize(new)]
        unknown = {t for tokens in analysed for t, is_unknown in tokens if is_unknown and len(t) >= COMPOUND_MIN}
        parts = compound_parts(unknown)
        fresh = {text: [p for t, _ in tokens for p in (t, *parts.get(t, ()))] for text, tokens in zip(new, analysed)}
        if len(_ANALYSED) + len(fresh) > ANALYSED_KEPT:
            _ANALYSED.clear()
        _ANALYSED.update(fresh)
        known.update(fresh)
    return [list(known[t]) for t in texts]


def compound_parts(words: set[str]) -> dict[str, list[str]]:
    """word -> its known parts (two syllables or more), where Kiwi kept a compound whole. The split
    covers as much of the word with known nouns as it can, in the fewest parts; every substring is
    analysed alone in one batch."""
    words = {w for w in words if w.isalpha() and not w.isascii()}
    pieces = sorted({w[i:j] for w in words for i in range(len(w)) for j in range(i + 2, len(w) + 1)} - words)
    known = set()
    for piece, morphemes in zip(pieces, analyser().tokenize(pieces) if pieces else []):
        if len(morphemes) == 1 and morphemes[0].form == piece and morphemes[0].tag in ("NNG", "NNP"):
            if morphemes[0].score > KNOWN_SCORE:
                known.add(piece)
    out = {}
    for w in words:
        # best[i]: (syllables not covered, parts) for w[:i], and the parts
        best: list[tuple[tuple[int, int], list[str]]] = [((0, 0), [])] + [((len(w) + 1, 0), [])] * len(w)
        for j in range(1, len(w) + 1):
            (miss, n), parts = best[j - 1]
            best[j] = ((miss + 1, n), parts)  # w[j-1] left uncovered
            for i in range(max(0, j - 8), j - 1):
                if w[i:j] in known:
                    (miss, n), parts = best[i]
                    if (miss, n + 1) < best[j][0]:
                        best[j] = ((miss, n + 1), [*parts, w[i:j]])
        if best[-1][1]:
            out[w] = best[-1][1]
    return out


def unique(tokens: Iterable[str]) -> list[str]:
    """Distinct tokens in their first order (a query's terms)."""
    return list(dict.fromkeys(tokens))
