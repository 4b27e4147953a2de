"""The parser's fast paths give what the plain versions they replace give.

Each fast path (substring counts for the HTML balance check, one `iter()` pass for the
cell walk, a keyword trie, lookaheads in front of regexes, date scans read once per
activity) is compared with a straightforward reference on tricky and random inputs.
"""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from lxml import etree

from pipeline.parse import dates, formats, venue
from pipeline.parse.dates import _TOKEN, normalise
from pipeline.parse.events import EventDraft, build_event, draft_days
from pipeline.parse.report import _balanced_html
from pipeline.parse.segment import cell_items

# --------------------------------------------------------------------------------------------
# references: the plain versions


def balanced_reference(html: str) -> bool:
    opened = [m.group(1).lower() for m in re.finditer(r"<(ul|li)\b", html, re.I)]
    closed = [m.group(1).lower() for m in re.finditer(r"</(ul|li)\s*>", html, re.I)]
    return (
        opened.count("ul") == closed.count("ul")
        and opened.count("li") == closed.count("li")
        and html.rstrip().endswith(">")
    )


_LIST = {"ul", "ol"}
_CONTAINERS = {"html", "body", "section", "article", "td", "tr", "tbody", "table", "span", "font"}


def _own_text_reference(el) -> str:
    parts = [el.text or ""]
    for child in el:
        if child.tag not in _LIST:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    text = "".join(parts).strip()
    if "  " in text or "\n" in text or "\t" in text or "\xa0" in text:
        text = " ".join(text.split())
    return text


def cell_items_reference(html: str) -> list[tuple[str, int, bool]]:
    """One recursive pass over the list elements (the walk `cell_items` replaces)."""

    def collect(el, depth, out):
        for child in el:
            if child.tag == "li":
                out.append((_own_text_reference(child), depth, False))
                collect(child, depth + 1, out)
            elif child.tag in _LIST or child.tag in _CONTAINERS:
                collect(child, depth, out)
            elif child.tag == "div":
                out.extend((_own_text_reference(p), depth, True) for p in child.iterchildren("p"))
                collect(child, depth, out)

    if not html.strip():
        return []
    root = etree.HTML(html)
    out: list[tuple[str, int, bool]] = []
    if root is not None:
        collect(root, 0, out)
    return out


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # both sides must fail alike
        return type(exc).__name__


# --------------------------------------------------------------------------------------------


BALANCE_CASES = [
    "",
    "<ul><li>a</li></ul>",
    "<ul> <li>a</li>",
    "<UL><LI>a</LI></UL>",
    "<ul><li>a</li></ul >",
    "<ul><li>a</li></ul\n>",
    "<ul><link><li>a</li></ul>",
    "<ulx><li>a</li>",
    "<ul\t><li>a</li></ul>",
    "<ul><lİ>a</li></ul>",
    "<ul><lı>a</li></ul>",
    "<ul><li>a</li></ul> ",
    "<ul><li>a</li></ul>x",
    "<ul><li>a <b>b</b></li></ul>",
    "<ul style='x'><li class=a>1</li></ul>",
    "<ul><li>a</lix></ul>",
]


@pytest.mark.parametrize("html", BALANCE_CASES)
def test_balance_check_counts_like_the_regexes(html):
    assert _balanced_html(html) == balanced_reference(html)


def test_balance_check_on_random_markup():
    rng = random.Random(7)
    parts = [
        "<ul>",
        "<UL>",
        "<ul ",
        "<Ul\t>",
        "<ulx>",
        "<li>",
        "<LI>",
        "<li ",
        "<link>",
        "</ul>",
        "</UL >",
        "</ul\n>",
        "</li>",
        "</Li>",
        "</lix>",
        "<lİ>",
        "İ",
        "가",
        " ",
        ">",
        "<",
        "x",
        "</",
        "<u",
        "l>",
    ]
    for _ in range(20000):
        html = "".join(rng.choice(parts) for _ in range(rng.randint(0, 10)))
        assert _balanced_html(html) == balanced_reference(html), html


CELL_CASES = [
    '<ul style="list-style-type: none"> <li>• 간담회 <ul> <li>- 일 시 : \'19.4.8</li> </ul> </li> </ul>',
    "<ul><li>• a<ul><li>- b<ul><li>c</li></ul></li></ul></li><li>  d  \n e </li></ul>",
    '<div style="x"> <p>박스 <b>굵게</b> 끝</p> <ul><li>안</li></ul><p>둘째</p> </div><ul><li>• 밖</li></ul>',
    "<ul><li>a <b>b</b> c<ul><li>d</li></ul> e</li></ul>",
    "<b><ul><li>not reached</li></ul></b><ul><li>x</li></ul>",
    "<table><tr><td><ul><li>in table</li></ul></td></tr></table>",
    "<ol><li>one</li><li></li></ol>",
    "<ul><li>a<!-- c --></li></ul>",
    "<!-- top --><ul><li>a</li></ul>",
    "text only",
    "",
    "   ",
    "<ul><li>a&nbsp;&nbsp;b</li><li>x\xa0y</li><li>p\tq</li></ul>",
    "<ul><li>cut off",
    "<p><ul><li>x</li></ul></p>",
    "<div><div><p>inner</p></div></div>",
    "<ul><li><ul><li>only nested</li></ul></li></ul>",
]


@pytest.mark.parametrize("html", CELL_CASES)
def test_cell_walk_reaches_what_the_recursive_walk_reaches(html):
    assert _outcome(cell_items, html) == _outcome(cell_items_reference, html)


def test_cell_walk_on_random_markup():
    rng = random.Random(11)
    tags = ["ul", "ol", "li", "div", "p", "b", "span", "td", "table", "sup", "LI", "Ul"]
    texts = ["• 간담회 ", " - 일 시 : '19. 4. 8.", "  a\n b ", "\xa0x", "", "ㅇ 설명회", "<!-- c -->", "&amp;"]

    def markup(depth: int) -> str:
        out = []
        for _ in range(rng.randint(0, 4)):
            if rng.random() < 0.35 or depth > 4:
                out.append(rng.choice(texts))
            else:
                tag = rng.choice(tags)
                out.append(f"<{tag}>{markup(depth + 1)}" + (f"</{tag}>" if rng.random() < 0.9 else ""))
        return "".join(out)

    for _ in range(3000):
        html = markup(0)
        assert _outcome(cell_items, html) == _outcome(cell_items_reference, html), html


def test_keyword_trie_finds_the_longest_keyword_like_the_sorted_alternation():
    pattern, table = formats._keyword_table()
    plain = re.compile("(?=(" + "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)) + "))")
    rng = random.Random(3)
    words = list(table)
    chars = sorted(set("".join(words))) + list(" 0123()")
    for _ in range(5000):
        text = "".join(rng.choice(words) if rng.random() < 0.5 else rng.choice(chars) for _ in range(rng.randint(0, 8)))
        assert [(m.start(), m.group(1)) for m in pattern.finditer(text)] == [
            (m.start(), m.group(1)) for m in plain.finditer(text)
        ], text
    for words in (["a", "ab", "abc", "b"], ["x"], ["자문", "자문회의", "회의"]):
        trie = re.compile(f"(?=({formats._trie_regex(words)}))")
        alternation = re.compile("(?=(" + "|".join(sorted(words, key=len, reverse=True)) + "))")
        for text in ("abcab", "xxab", "bbb", "자문회의 회의", ""):
            assert [m.group(1) for m in trie.finditer(text)] == [m.group(1) for m in alternation.finditer(text)]


def test_the_date_token_lookahead_matches_as_without_it():
    """The leading lookahead of the date tokens only skips (it saves a fifth of the parse time)."""
    rng = random.Random(5)
    alphabet = list("0123456789'‘’`\"“”～~.,:()/ 년월일중별현재명회강차외약총누매각제주연 ") + ["\n", "２", "가"]
    plain_token = re.compile(dates._TOKEN_BODY)
    for _ in range(8000):
        text = normalise("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))))
        assert [(m.span(), m.lastgroup, m.groups()) for m in _TOKEN.finditer(text)] == [
            (m.span(), m.lastgroup, m.groups()) for m in plain_token.finditer(text)
        ], text


def test_venue_title_patterns_are_skipped_only_without_their_words():
    for title in [
        "전주혁신창업허브 개관식",
        "팔복예술공장 내 행사",
        "청년센터에서 간담회",
        "주민공청회(서학예술마을)",
        "부안장애인복지관 벤치마킹",
        "현장 방문",
        "설명회(시청 강당)",
        "간담회 개최",
    ]:
        expected = None
        for pattern in (venue._INSIDE, venue._AT, venue._OPENING, venue._VISITED, venue._BRACKETED):
            m = pattern.search(title)
            if m:
                expected = venue._clean(m.group("v"))
                break
        if expected is not None:
            assert venue.find_venue(title, []).name == expected


def test_the_date_scans_are_read_once_and_build_event_can_run_again():
    draft = EventDraft(1, "1", 1, "간담회 개최 - 11.10. 협의", 5)
    draft.add_detail("-", "일시 : 12. 3.", 6)
    assert draft_days(draft) == set()
    first = build_event(draft, dt.date(2020, 12, 31), {(2020, 11, 10)})
    again = build_event(draft, dt.date(2020, 12, 31), {(2020, 11, 10)})
    assert first[0] == again[0] and first[1] == again[1]
    draft.add_detail("-", "'19. 3. 5.", 7)  # a detail after the days were read: read again
    assert draft_days(draft) == {(2019, 3, 5)}
