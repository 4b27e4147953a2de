"""The kind of an activity, by the head of its phrase (SPEC.md, format).

Korean phrases end with their head, so the LAST specific keyword in the event's own
line decides (`... 선정 관련 간담회` -> meeting); a longer keyword ending at the same
place wins (`자문회의` over `회의`). The roles of `format_keywords.csv`:

- `decides`: a specific keyword. One outside brackets beats one inside them
  (`홍보(통장 및 자생단체 회의)` is promotion); one inside brackets beats a mere
  fallback outside them (`민관 거버넌스("천만그루정원도시추진위원회") 운영` is a meeting).
- `verbal`: a specific keyword that is a verbal form (`협의`, `간담`). It decides like
  `decides`, except that, ending its word before one plain noun followed only by
  generic verbs, it modifies that noun, which is the head: `협의 요청문 발송` is no meeting.
- `fallback`: decides only when no specific keyword does (`운영`, `지원`, and the
  citizen-facing services `서비스`, `진료`, `사례관리`, `파견` ...): SPEC's `program`.
- `head`: a fallback that counts only as the head of the phrase, followed by nothing
  but generic verbs and counts (`삼삼오오사업 개시` is a programme; `사업 정산 및 평가` is not).
- `generic`: a generic verb (`개최`, `실시`, `추진`, `발송` ...): decides nothing.
- `modifier`: a word (`관련`) that makes everything before it a modifier of what
  follows (`체험홈 운영 관련 지도.점검`: `운영` does not decide).
- `mask`: a word that contains a keyword without being one (`경기장`, `시장님`).

The vocabulary is the dbt seeds `formats.csv` and `format_keywords.csv`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import NamedTuple

from pipeline.vocab import read_seed

OTHER = "other"
_QUOTE_CHARS = re.compile(r"['\"‘’“”「」『』<>《》]+")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_BRACKET_CONTENT = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_SPECIFIC = frozenset(("decides", "verbal"))
_ROLES = frozenset(("decides", "verbal", "fallback", "head", "generic", "modifier", "mask"))
# what may trail a head: tokens holding a figure (`4회`, `15개동`, `'20.`), punctuation
_FIGURE_TOKEN = re.compile(r"\S*\d\S*")
_NOT_A_WORD = re.compile(r"[^가-힣A-Za-z]+")
_PLAIN_NOUN = re.compile(r"^[가-힣]{2,}$")
_HANGUL = re.compile(r"[가-힣A-Za-z0-9]")


@lru_cache(maxsize=1)
def format_codes() -> tuple[str, ...]:
    return tuple(row["format_code"] for row in read_seed("formats"))


@lru_cache(maxsize=1)
def _keyword_table() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """One regex finding, at every position, the longest keyword starting there (its
    group 1, read by a lookahead, so that keywords may overlap), and keyword ->
    (format_code, role)."""
    codes = set(format_codes())
    table: dict[str, tuple[str, str]] = {}
    for row in read_seed("format_keywords"):
        if row["format_code"] not in codes:
            raise ValueError(f"format_keywords.csv: unknown format_code {row['format_code']!r}")
        if row["role"] not in _ROLES:
            raise ValueError(f"format_keywords.csv: unknown role {row['role']!r}")
        table[_compact(row["keyword"])] = (row["format_code"], row["role"])
    # as a trie rather than an alternation of the keywords longest first: a tenth of the parse time
    return re.compile(f"(?=({_trie_regex(list(table))}))"), table


def _trie_regex(words: list[str]) -> str:
    """An alternation matching, where it matches, the longest of `words` (like the words
    sorted longest first), as a trie: `자문(?:회의)?|...`. The engine tries only the
    branches of the character at hand instead of every word in turn."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def alternation(node: dict) -> str:
        branches = [re.escape(ch) + alternation(child) for ch, child in node.items() if ch]
        if not branches:
            return ""
        body = "|".join(branches)
        if "" in node:  # a shorter word ends here: only if no longer one matches
            return f"(?:{body})?"
        return body if len(branches) == 1 else f"(?:{body})"

    return alternation(trie)


def _compact(text: str) -> str:
    return "".join(_QUOTE_CHARS.sub("", text).split()).upper()


class _Match(NamedTuple):
    start: int  # in the compact text (`_Phrase.found`) or in the spaced one (`_Phrase.matches`)
    end: int
    code: str
    role: str

    def outranks(self, other: _Match | None) -> bool:
        """The head of a phrase is the keyword ending last; of two ending at the same
        place, the longer (`자문회의` over `회의`). Matches start at distinct places."""
        return other is None or self.end > other.end or self.end == other.end and self.start < other.start


def _word_starts(text: str) -> list[int]:
    """The offset, in `text` without its spaces, of each word after the first (single spaces)."""
    return list(accumulate(map(len, text.split(" ")[:-1])))


class _Phrase:
    """One phrase (quotes removed, single spaces) and its keyword matches.

    Keywords are found in the phrase without its spaces (`주민토크 콘서트`, `현장 방문`):
    `found`, at places in that compact text, which order matches as the text does. Where
    word boundaries matter (modifiers, heads, verbal forms: in few phrases), `matches`
    maps them onto the spaced text: a character at `c` in the compact text, in word k,
    is at `c + k` in the text, k being the number of word starts up to `c`.
    """

    def __init__(self, text: str) -> None:
        self.text = " ".join(_QUOTE_CHARS.sub("", text).split()).upper()
        compact = self.text.replace(" ", "")
        pattern, table = _keyword_table()
        masked_until = -1
        self.found: list[_Match] = []
        for m in pattern.finditer(compact):
            keyword = m.group(1)
            start = m.start()
            end = start + len(keyword)
            code, role = table[keyword]
            if role == "mask":
                masked_until = max(masked_until, end)
                continue
            if end <= masked_until:
                continue  # inside a word like 경기장 that only looks like a keyword
            self.found.append(_Match(start, end, code, role))

    @cached_property
    def matches(self) -> list[_Match]:
        """`found`, at places in the spaced text."""
        word_starts = _word_starts(self.text)
        return [
            _Match(
                m.start + bisect_right(word_starts, m.start),
                m.end + bisect_right(word_starts, m.end - 1),
                m.code,
                m.role,
            )
            for m in self.found
        ]

    def ends_word(self, pos: int) -> bool:
        return pos >= len(self.text) or not _HANGUL.match(self.text[pos])

    def only_trailing(self, start: int) -> tuple[bool, bool]:
        """Does the text from `start` hold nothing but generic verbs, fallbacks,
        figures and punctuation? And does it hold at least one generic or fallback word?"""
        rest = list(self.text[start:])
        verbs = False
        for m in self.matches:
            if m.role in ("generic", "fallback") and m.start >= start:
                verbs = True
                rest[m.start - start : m.end - start] = " " * (m.end - m.start)
        left = _NOT_A_WORD.sub("", _FIGURE_TOKEN.sub(" ", "".join(rest)))
        return not left, verbs

    def modifies_next_noun(self, m: _Match) -> bool:
        """`협의 요청문 발송`: a verbal keyword ends its word, one plain noun with no keyword
        follows, then only generic verbs; that noun is the head."""
        if m.role != "verbal" or not self.ends_word(m.end):
            return False
        after = self.text[m.end :]
        words = after.split()
        if len(words) < 2 or not _PLAIN_NOUN.match(words[0]):
            return False
        noun_start = m.end + after.index(words[0])
        noun_end = noun_start + len(words[0])
        if any(k.start < noun_end and k.end > noun_start for k in self.matches):
            return False
        trailing, verbs = self.only_trailing(noun_end)
        return trailing and verbs

    def decide(self) -> tuple[str | None, str | None]:
        """(code of the deciding specific keyword, code of the best fallback)."""
        found = self.found  # (where only their order matters; `matches[i]` is `found[i]` in the text)
        if not found:
            return None, None
        cut = -1  # a modifier ending its word: what is before it decides nothing
        for i, m in enumerate(found):
            if m.role == "modifier" and m.end > cut and self.ends_word(self.matches[i].end):
                cut = m.end
        decides = fallback = None
        decides_at = -1
        for i, m in enumerate(found):
            if m.start < cut:
                continue
            if m.role in _SPECIFIC:
                if m.outranks(decides):
                    decides, decides_at = m, i
            elif m.role == "fallback" or m.role == "head" and self.only_trailing(self.matches[i].end)[0]:
                if m.outranks(fallback):
                    fallback = m
        if decides is not None and decides.role == "verbal" and self.modifies_next_noun(self.matches[decides_at]):
            decides = None
        return (decides.code if decides else None), (fallback.code if fallback else None)


def format_for_title(title: str) -> str:
    """format_code of an activity from its own line.

    Outside brackets a specific keyword decides; else one inside brackets; else a
    fallback outside them; else one inside them; else `other`.
    """
    head_decides, head_fallback = _Phrase(_BRACKETS.sub(" ", title)).decide()
    if head_decides:
        return head_decides
    asides = [_Phrase(a or b).decide() for a, b in _BRACKET_CONTENT.findall(title)]
    for decides, _ in reversed(asides):
        if decides:
            return decides
    if head_fallback:
        return head_fallback
    for _, fallback in reversed(asides):
        if fallback:
            return fallback
    return OTHER
