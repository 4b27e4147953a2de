"""SYNTHETIC report snapshots derived by code from the real 2020-12-31 report, with their ground truth.

Only the 2020-12-31 report is real. To test what happens across reporting periods we derive, from its
raw text, an older snapshot (2019-12-31: only the activities dated before 2020, reworded, re-paginated,
one pledge under an older name) and a newer one (2021-12-31: a few activities added, dropped, changed,
moved). Each snapshot is labelled synthetic in its file name and in its preamble, and is written only to
the folder a test gives (never to `raw/`).

The builders work on the report's text and HTML cells (rows `serial \\t field \\t code \\t name \\t
<ul>...</ul>`), not on the parser's output, and return the ground truth: every activity carries an
`origin` id (`"<pledge_code>#<n>"`, its position in the real report, or `"<pledge_code>#new<k>"` for
an added one) that is the same in every snapshot it appears in. Tests map the warehouse's activities of
a pledge (ordered by `event_seq`) onto the snapshot's `activities[pledge_code]` list and assert against
the ground truth, never against the implementation under test.

What one activity is (see ../shared/gold/SPEC.md): a top-level `<li>` starting with a bullet glyph,
followed by the flat detail `<li>`s (`-`, `※`, `*`, `↳`) after it. Pledges whose list does not fit
that simple shape (a `<div>` box, items without any glyph) are "opaque": kept byte-for-byte (or left
out whole), so that however the parser splits them, it splits them the same way in every snapshot.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

SEED_REPORT = Path(__file__).resolve().parent.parent / "raw" / "jeonju_pledge_communication_2020-12-31.txt"

HEADER_ROW = "연번\t분 야\t관리번호\t공약사업명\t시민소통실적"
UL_OPEN = '<ul style="list-style-type: none">'
BULLETS = "•◦○ㅇ"
DETAIL_MARKERS = "-※*↳"
SYNTHETIC_LABEL = (
    "[합성 데이터 · SYNTHETIC TEST DATA — 실제 보고서 아님 / not a real report; derived by code from the {src}]"
)

_TAG_RE = re.compile(r"<(/?)(ul|li|div)\b[^>]*>")
# `'19.`: two-digit years of the reports' span only (`'10.7.` in a range end is October 7, not 2010)
_TWO_DIGIT_YEAR_RE = re.compile(r"[‘'’](1[5-9]|2[0-5])(?=\s*[.년])")
_YEAR_RE = re.compile(r"[‘'’\"](\d{2})\s*[.년]|(?<!\d)(20\d{2})\s*[.년]")


# --------------------------------------------------------------------------------------------------
# The report as data


@dataclass
class Activity:
    """One activity as it is printed in one snapshot."""

    origin: str
    nodes: list[str]  # top-level <li> items: its own item, then flat detail items

    @property
    def own_item(self) -> str:
        return self.nodes[0]

    @property
    def own_line(self) -> str:
        """The text of its own item before any nested list."""
        inner = re.sub(r"^<li>", "", self.own_item)
        return re.split(r"<ul\b|</li>", inner, maxsplit=1)[0].strip()

    def text(self) -> str:
        return re.sub(r"<[^>]+>", " ", " ".join(self.nodes))


@dataclass
class Pledge:
    serial_no: int
    field_label: str
    pledge_code: str
    pledge_name: str
    activities: list[Activity]
    opaque_cells: list[str] | None = None  # the original cells of an opaque pledge, kept as printed
    split_at: int | None = None  # continue over a page break before this node index
    continuation_name: str = ""  # name printed on the continued row ('' or the name again)
    empty_cell: str = f"{UL_OPEN} </ul>"  # how an empty list is printed

    @property
    def is_opaque(self) -> bool:
        return self.opaque_cells is not None


@dataclass
class Snapshot:
    """One synthetic (or the real) report: its text and the ground truth of its activities."""

    report_date: dt.date
    file_name: str
    text: str
    activities: dict[str, list[str]]  # pledge_code -> origin ids, in printed order
    pledge_names: dict[str, str]  # pledge_code -> name printed
    is_synthetic: bool = True
    printed: dict[str, list[str]] = field(default_factory=dict)  # origin -> its HTML items (editable ones)

    @property
    def origins(self) -> set[str]:
        return {o for origins in self.activities.values() for o in origins}

    @property
    def n_activities(self) -> int:
        return sum(len(v) for v in self.activities.values())

    def without(self, origin: str) -> Snapshot:
        """The same report with one activity left out (a corrected file for the same period)."""
        printed = " " + " ".join(self.printed[origin])
        if self.text.count(printed) != 1:
            raise ValueError(f"{origin} is not printed as one block in {self.file_name}")
        activities = {code: [o for o in origins if o != origin] for code, origins in self.activities.items()}
        printed_rest = {o: n for o, n in self.printed.items() if o != origin}
        return replace(self, text=self.text.replace(printed, "", 1), activities=activities, printed=printed_rest)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.file_name
        path.write_text(self.text, encoding="utf-8")
        return path


@dataclass
class Transition:
    """What happened between two consecutive snapshots, by origin id."""

    previous: Snapshot
    current: Snapshot
    carried: set[str]  # in both, same dates, people and wording (up to cosmetic drift)
    changed: dict[str, str]  # origin -> what changed ('dates', 'people', 'text')
    added: set[str]
    dropped: set[str]
    moved: set[str] = field(default_factory=set)  # carried, but printed at another position
    cosmetic: dict[str, str] = field(default_factory=dict)  # origin -> rewording that is not a change

    @property
    def shared(self) -> set[str]:
        return self.carried | set(self.changed)


@dataclass
class Series:
    snapshots: list[Snapshot]  # in date order: synthetic 2019, real 2020, synthetic 2021
    transitions: list[Transition]  # snapshots[i] -> snapshots[i + 1]
    renamed_pledge: tuple[str, str, str]  # (pledge_code, older name, newer name)


# --------------------------------------------------------------------------------------------------
# Reading the real report


def _top_level_nodes(cell: str) -> list[str]:
    """The <li> items directly under the cell's top-level <ul>s, and top-level <div> boxes."""
    nodes, stack, start = [], [], None
    for m in _TAG_RE.finditer(cell):
        closing, tag = m.group(1) == "/", m.group(2)
        if not closing:
            if (tag == "li" and stack == ["ul"]) or (tag == "div" and not stack):
                start = m.start()
            stack.append(tag)
        else:
            while stack and stack[-1] != tag:
                stack.pop()
            if stack:
                stack.pop()
            if start is not None and ((tag == "li" and stack == ["ul"]) or (tag == "div" and not stack)):
                nodes.append(cell[start : m.end()])
                start = None
    return nodes


def _node_kind(node: str) -> str:
    if node.startswith("<div"):
        return "box"
    text = re.sub(r"<[^>]+>", "", node).strip()
    if text[:1] in BULLETS:
        return "event"
    if text[:1] in DETAIL_MARKERS:
        return "detail"
    return "other"


def read_seed(path: Path = SEED_REPORT) -> tuple[list[str], list[Pledge]]:
    """The real report as (preamble lines, pledges with their activities, continued rows merged)."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    first_header = next(i for i, line in enumerate(lines) if line.startswith("연번\t"))
    preamble = lines[:first_header]
    while preamble and not preamble[-1].strip():
        preamble.pop()
    pledges: list[Pledge] = []
    cells: dict[str, list[str]] = {}
    for line in lines[first_header:]:
        parts = line.split("\t")
        if len(parts) != 5 or not parts[0].strip().isdigit():
            continue
        serial, label, code, name, cell = parts
        if pledges and pledges[-1].serial_no == int(serial):
            cells[code].append(cell)
            continue
        pledges.append(Pledge(int(serial), label, code, name, []))
        cells[code] = [cell]
    for pledge in pledges:
        nodes = [n for cell in cells[pledge.pledge_code] for n in _top_level_nodes(cell)]
        kinds = [_node_kind(n) for n in nodes]
        if "box" in kinds or "other" in kinds or (kinds and kinds[0] != "event"):
            pledge.opaque_cells = cells[pledge.pledge_code]
            continue
        for node, kind in zip(nodes, kinds):
            if kind == "event":
                pledge.activities.append(Activity(f"{pledge.pledge_code}#{len(pledge.activities) + 1}", [node]))
            else:
                pledge.activities[-1].nodes.append(node)
    return preamble, pledges


# --------------------------------------------------------------------------------------------------
# Writing a report


def _cell(nodes: list[str]) -> str:
    return f"{UL_OPEN} " + " ".join(nodes) + " </ul>" if nodes else ""


def render(
    report_date_line: str,
    preamble: list[str],
    pledges: list[Pledge],
    rows_per_page: int,
    label: str,
    blank_lines: tuple[int, ...] = (1,),
) -> str:
    """The report text: preamble, then pages of `rows_per_page` data rows, each under a header row."""
    rows: list[str] = []
    for p in pledges:
        if p.is_opaque:
            for i, cell in enumerate(p.opaque_cells):
                rows.append(
                    "\t".join(
                        [
                            str(p.serial_no),
                            p.field_label,
                            p.pledge_code,
                            p.pledge_name if i == 0 else p.continuation_name or p.pledge_name,
                            cell,
                        ]
                    )
                )
            continue
        nodes = [n for a in p.activities for n in a.nodes]
        if not nodes:
            rows.append("\t".join([str(p.serial_no), p.field_label, p.pledge_code, p.pledge_name, p.empty_cell]))
            continue
        parts = [nodes] if not p.split_at or p.split_at >= len(nodes) else [nodes[: p.split_at], nodes[p.split_at :]]
        for i, part in enumerate(parts):
            rows.append(
                "\t".join(
                    [
                        str(p.serial_no),
                        p.field_label,
                        p.pledge_code,
                        p.pledge_name if i == 0 else p.continuation_name,
                        _cell(part),
                    ]
                )
            )
    out = [preamble_line if "【" not in preamble_line else report_date_line for preamble_line in preamble]
    # the label goes right under the header date, well inside the lines read for the period
    at = next(i for i, line in enumerate(out) if "【" in line) + 1
    out[at:at] = ["", label]
    for page_no, start in enumerate(range(0, len(rows), rows_per_page)):
        out.extend([""] * blank_lines[page_no % len(blank_lines)])
        out.append(HEADER_ROW)
        out.extend(rows[start : start + rows_per_page])
    return "\n".join(out) + "\n"


def snapshot_of(
    report_date: dt.date,
    file_name: str,
    text: str,
    pledges: list[Pledge],
    opaque_origins: dict[str, list[str]],
    is_synthetic: bool = True,
) -> Snapshot:
    activities = {}
    for p in pledges:
        activities[p.pledge_code] = (
            list(opaque_origins[p.pledge_code]) if p.is_opaque else [a.origin for a in p.activities]
        )
    printed = {a.origin: list(a.nodes) for p in pledges if not p.is_opaque for a in p.activities}
    return Snapshot(
        report_date, file_name, text, activities, {p.pledge_code: p.pledge_name for p in pledges}, is_synthetic, printed
    )


# --------------------------------------------------------------------------------------------------
# Edits of one activity (string level, on its HTML items)


def years_of(activity: Activity) -> list[int]:
    """Years printed on the activity's own line, or if none, in its details (as the spec reads dates)."""

    def scan(text: str) -> list[int]:
        return [int(a) + 2000 if a else int(b) for a, b in _YEAR_RE.findall(text)]

    return scan(activity.own_line) or scan(activity.text())


def with_bullet(activity: Activity, glyph: str) -> Activity:
    own = re.sub(r"^<li>\s*[•◦○ㅇ]", f"<li>{glyph}", activity.own_item, count=1)
    return replace(activity, nodes=[own, *activity.nodes[1:]])


def with_four_digit_years(activity: Activity) -> Activity:
    """`'19. 3. 22.` -> `2019. 3. 22.` in every item of the activity."""
    return replace(activity, nodes=[_TWO_DIGIT_YEAR_RE.sub(r"20\1", n) for n in activity.nodes])


def _edit_own_line(activity: Activity, edit) -> Activity:
    own = activity.own_item
    line = activity.own_line
    new_line = edit(line)
    if new_line == line:
        return activity
    return replace(activity, nodes=[own.replace(line, new_line, 1), *activity.nodes[1:]])


def without_gaechoe(activity: Activity) -> Activity:
    """`... 포럼 개최('19. 10. 15.)` -> `... 포럼('19. 10. 15.)`."""
    return _edit_own_line(activity, lambda line: re.sub(r"\s*개최(?!\w)", "", line, count=1))


def with_gaechoe(activity: Activity) -> Activity:
    """Add `개최` after the activity's name (before its date or inline detail)."""

    def edit(line: str) -> str:
        m = re.search(r"\s*\(\s*[‘'’\d]|\s+-\s+|\s*:", line)
        at = m.start() if m else len(line)
        return line[:at] + " 개최" + line[at:]

    return _edit_own_line(activity, edit)


def with_spacing(activity: Activity) -> Activity:
    """Remove the first space between two Hangul words (`화합의 날` -> `화합의날`)."""
    return _edit_own_line(activity, lambda line: re.sub(r"([가-힣]) ([가-힣])", r"\1\2", line, count=1))


_PEOPLE_RE = re.compile(r"(?<![\d,])(\d{2,3})(여\s*명|\s*명)")


def people_figures(activity: Activity) -> list[str]:
    return _PEOPLE_RE.findall(activity.text())


def with_people(activity: Activity, delta: int) -> Activity:
    """Change the single people figure of the activity by `delta`."""

    def bump(m: re.Match) -> str:
        return f"{int(m.group(1)) + delta}{m.group(2)}"

    return replace(activity, nodes=[_PEOPLE_RE.sub(bump, n) for n in activity.nodes])


_DAY_DATE_RE = re.compile(r"([‘'’]\d{2}\.\s*\d{1,2}\.\s*)(\d{1,2})(?=\s*\.)")


def with_shifted_day(activity: Activity) -> Activity:
    """Move the first full date of its own line by one day (`'19. 10. 15.` -> `'19. 10. 14.`)."""

    def edit(line: str) -> str:
        def shift(m: re.Match) -> str:
            day = int(m.group(2))
            return m.group(1) + str(day - 1 if day > 1 else day + 1)

        return _DAY_DATE_RE.sub(shift, line, count=1)

    return _edit_own_line(activity, edit)


def new_activity(origin: str, title: str, date: str, people: int, content: str) -> Activity:
    return Activity(
        origin,
        [f"<li>• {title} {UL_OPEN} <li>- 일 시 : {date} / {people}명</li> <li>- 주요내용 : {content}</li> </ul> </li>"],
    )


# --------------------------------------------------------------------------------------------------
# The three snapshots


def _copy(pledges: list[Pledge]) -> list[Pledge]:
    return [replace(p, activities=list(p.activities)) for p in pledges]


def _plain(pledges: list[Pledge]) -> list[Pledge]:
    """Pledges whose activities the builders may edit."""
    return [p for p in pledges if not p.is_opaque]


def _relabel(label: str, style: str) -> str:
    bare = re.sub(r"\s+", "", label)  # 경제분야
    if style == "bare":
        return bare
    if style == "spaced":
        return " ".join(bare)  # 경 제 분 야
    return bare.replace("분야", " 분야")  # 경제 분야


def build_2019(
    preamble: list[str], seed: list[Pledge], opaque_2020: dict[str, list[str]], rng: random.Random
) -> tuple[Snapshot, dict]:
    """2019-12-31: the activities dated before 2020, reworded and re-paginated; pledge 11 under an older name."""
    pledges = _copy(seed)
    truth = {"cosmetic": {}, "changed": {}, "moved": set()}
    renamed = ("11", "종합경기장 부지 재생사업")
    for p in pledges:
        if p.is_opaque:
            p.opaque_cells = None  # left out whole that year: an empty list, printed as an empty cell
            p.activities = []
            p.empty_cell = ""
            continue
        p.activities = [a for a in p.activities if (ys := years_of(a)) and max(ys) < 2020]
        if p.pledge_code == renamed[0]:
            p.pledge_name = renamed[1]
        # field labels without spaces for the economy and welfare fields, `도시 분야` style for the city
        if "경" in p.field_label or "복" in p.field_label:
            p.field_label = _relabel(p.field_label, "bare")
        elif "도" in p.field_label:
            p.field_label = _relabel(p.field_label, "half")
        glyph = "◦" if "도" in p.field_label else "○" if "공" in p.field_label else None
        if glyph:
            p.activities = [with_bullet(a, glyph) for a in p.activities]
            for a in p.activities:
                truth["cosmetic"].setdefault(a.origin, "bullet")
        if "문" in p.field_label:  # the culture field printed its dates with four-digit years
            p.activities = [with_four_digit_years(a) for a in p.activities]
            for a in p.activities:
                truth["cosmetic"][a.origin] = "four_digit_years"

    candidates = [(p, i) for p in _plain(pledges) for i in range(len(p.activities))]
    rng.shuffle(candidates)
    edits = [
        ("without_gaechoe", lambda a: "개최" in a.own_line, without_gaechoe),
        ("with_gaechoe", lambda a: "개최" not in a.own_line and len(a.own_line) > 6, with_gaechoe),
        ("spacing", lambda a: re.search(r"[가-힣] [가-힣]", a.own_line), with_spacing),
        ("four_digit_years", lambda a: _TWO_DIGIT_YEAR_RE.search(a.text()), with_four_digit_years),
    ]
    used: set[str] = set()
    for name, eligible, edit in edits:
        n = 0
        for p, i in candidates:
            a = p.activities[i]
            if n >= 8 or a.origin in used or not eligible(a):
                continue
            edited = edit(a)
            if edited.nodes == a.nodes:
                continue
            p.activities[i] = edited
            truth["cosmetic"][a.origin] = name
            used.add(a.origin)
            n += 1
    # real changes between 2019 and 2020: the 2019 report had other people counts / another day
    n_people = n_days = 0
    for p, i in candidates:
        a = p.activities[i]
        if a.origin in used:
            continue
        if n_people < 2 and len(people_figures(a)) == 1 and int(people_figures(a)[0][0]) >= 20:
            p.activities[i] = with_people(a, -5)
            truth["changed"][a.origin] = "people"
        elif n_days < 2 and with_shifted_day(a).nodes != a.nodes and len(_DAY_DATE_RE.findall(a.own_line)) == 1:
            p.activities[i] = with_shifted_day(a)
            truth["changed"][a.origin] = "dates"
        else:
            continue
        n_people += truth["changed"][a.origin] == "people"
        n_days += truth["changed"][a.origin] == "dates"
        truth["cosmetic"].pop(a.origin, None)
        used.add(a.origin)
    # printed in another order: the first two activities of two pledges swapped
    swapped = 0
    for p in _plain(pledges):
        if swapped < 2 and len(p.activities) >= 3:
            p.activities[0], p.activities[1] = p.activities[1], p.activities[0]
            truth["moved"] |= {p.activities[0].origin, p.activities[1].origin}
            swapped += 1
    # re-paginated: no continued rows of 2020; two long pledges continued elsewhere instead
    long_ones = sorted(_plain(pledges), key=lambda p: -sum(len(a.nodes) for a in p.activities))[:3]
    for k, p in enumerate(long_ones):
        p.split_at = max(1, sum(len(a.nodes) for a in p.activities) // 2)
        p.continuation_name = "" if k % 2 else p.pledge_name
    report_date = dt.date(2019, 12, 31)
    text = render(
        "【2019. 12. 31.】",
        preamble,
        pledges,
        rows_per_page=4,
        label=SYNTHETIC_LABEL.format(src="real 2020-12-31 report (2019 snapshot)"),
        blank_lines=(1, 2),
    )
    snap = snapshot_of(
        report_date,
        "SYNTHETIC_jeonju_pledge_communication_2019-12-31.txt",
        text,
        pledges,
        {code: [] for code in opaque_2020},
    )
    truth["renamed"] = renamed
    return snap, truth


NEW_ACTIVITIES = [  # (pledge_code, insert position (None = at the end), title, date, people, content)
    (
        "1",
        0,
        "지역 유통업체 상생협력 온라인 시민참여단 발대식",
        "'21. 3. 17.(수)",
        25,
        "시민참여단 위촉 및 활동계획 안내",
    ),
    ("9", None, "청년 창업 아이디어 공모전 시상식", "'21. 11. 5.(금)", 40, "우수 아이디어 시상 및 사례 발표"),
    ("18", 2, "서노송예술촌 골목길 야간 안전 점검 동행", "'21. 6. 9.(수)", 15, "주민과 함께 야간 보행환경 점검"),
    ("30", None, "한옥마을 주민 기록단 비대면 토론회", "'21. 8. 24.(화)", 32, "주민 기록 활동 공유 및 향후 과제 논의"),
    ("44", 0, "2021 상반기 공동체 활동가 역량강화 워크숍", "'21. 5. 28.(금)", 60, "활동가 네트워크 구축 및 사례 공유"),
    ("57", None, "권역별 찾아가는 어르신 건강 설명회", "'21. 10. 13.(수)", 80, "건강관리 프로그램 안내 및 상담"),
]


def build_2021(
    preamble: list[str], seed: list[Pledge], opaque_2020: dict[str, list[str]], rng: random.Random
) -> tuple[Snapshot, dict]:
    """2021-12-31: the 2020 report plus six new activities, five dropped, a few changed or moved."""
    pledges = _copy(seed)
    by_code = {p.pledge_code: p for p in pledges}
    truth = {"added": set(), "dropped": set(), "changed": {}, "moved": set(), "cosmetic": {}}
    # dropped: the last activity of five pledges that have at least three
    plain = [
        p for p in _plain(pledges) if len(p.activities) >= 3 and p.pledge_code not in {c for c, *_ in NEW_ACTIVITIES}
    ]
    for p in rng.sample(plain, 5):
        truth["dropped"].add(p.activities.pop(rng.randrange(1, len(p.activities))).origin)
    # changed: people figures, a later session added to the dates, a reworded name
    changeable = [
        (p, i) for p in _plain(pledges) for i, a in enumerate(p.activities) if a.origin not in truth["dropped"]
    ]
    rng.shuffle(changeable)
    n = {"people": 0, "dates": 0, "text": 0}
    for p, i in changeable:
        a = p.activities[i]
        if n["people"] < 2 and len(people_figures(a)) == 1:
            p.activities[i], kind = with_people(a, +7), "people"
        elif (
            n["dates"] < 2
            and "<ul" in a.own_item
            and re.search(r"<li>- 일\s*시\s*:", a.own_item)
            and not people_figures(a)
        ):
            # a later session appended to its `- 일 시 :` detail: the end date moves to 2021
            own = re.sub(r"(<li>- 일\s*시\s*:[^<]*?)(</li>)", r"\1 / (추가) '21. 4. 12.\2", a.own_item, count=1)
            if own == a.own_item or _DAY_DATE_RE.search(a.own_line):
                continue
            p.activities[i], kind = replace(a, nodes=[own, *a.nodes[1:]]), "dates"
        elif n["text"] < 1 and re.fullmatch(r"[•◦○ㅇ] [가-힣 ]{8,30}", a.own_line) and "개최" not in a.own_line:
            # reworded beyond spacing: a word added and one changed
            glyph, *words = a.own_line.split()
            if len(words) < 3:
                continue
            reworded = " ".join([glyph, "2021년", *words[:-1], "정기" + words[-1]])
            p.activities[i], kind = _edit_own_line(a, lambda line: reworded), "text"
        else:
            continue
        truth["changed"][a.origin] = kind
        n[kind] += 1
    # added, some at the head of a list (so every activity after them moves down)
    for k, (code, at, title, date, people, content) in enumerate(NEW_ACTIVITIES, 1):
        act = new_activity(f"{code}#new{k}", title, date, people, content)
        by_code[code].activities.insert(len(by_code[code].activities) if at is None else at, act)
        truth["added"].add(act.origin)
    # moved: the last activity of two pledges printed first
    movable = [
        p for p in _plain(pledges) if len(p.activities) >= 4 and p.pledge_code not in {c for c, *_ in NEW_ACTIVITIES}
    ]
    for p in movable[:2]:
        p.activities.insert(0, p.activities.pop())
        truth["moved"].add(p.activities[0].origin)
    for p in pledges:
        if "공" in p.field_label:
            p.field_label = _relabel(p.field_label, "half")  # `공동체 분야`
        if "문" in p.field_label and not p.is_opaque:
            p.activities = [with_bullet(a, "○") for a in p.activities]
            for a in p.activities:
                truth["cosmetic"].setdefault(a.origin, "bullet")
    for p in pledges:  # continued in other places than in 2020
        if not p.is_opaque and sum(len(a.nodes) for a in p.activities) >= 8:
            p.split_at = 3
            p.continuation_name = p.pledge_name
    text = render(
        "【2021.12.31.】",
        preamble,
        pledges,
        rows_per_page=6,
        label=SYNTHETIC_LABEL.format(src="real 2020-12-31 report (2021 snapshot)"),
        blank_lines=(1, 3, 0),
    )
    snap = snapshot_of(
        dt.date(2021, 12, 31), "SYNTHETIC_jeonju_pledge_communication_2021-12-31.txt", text, pledges, opaque_2020
    )
    return snap, truth


def build_series(seed_path: Path = SEED_REPORT, seed: int = 7) -> Series:
    """Synthetic 2019, real 2020, synthetic 2021, with what happened between them."""
    preamble, pledges = read_seed(seed_path)
    real_text = seed_path.read_text(encoding="utf-8-sig")
    opaque_2020 = {p.pledge_code: [] for p in pledges if p.is_opaque}  # filled by the caller's count
    s2019, t2019 = build_2019(preamble, pledges, opaque_2020, random.Random(seed))
    real = snapshot_of(dt.date(2020, 12, 31), seed_path.name, real_text, pledges, opaque_2020, is_synthetic=False)
    s2021, t2021 = build_2021(preamble, pledges, opaque_2020, random.Random(seed + 1))

    t1_shared = s2019.origins & real.origins
    t1 = Transition(
        s2019,
        real,
        carried=t1_shared - set(t2019["changed"]),
        changed={o: k for o, k in t2019["changed"].items() if o in t1_shared},
        added=real.origins - s2019.origins,
        dropped=s2019.origins - real.origins,
        moved=t2019["moved"] & t1_shared,
        cosmetic={o: k for o, k in t2019["cosmetic"].items() if o in t1_shared},
    )
    t2_shared = real.origins & s2021.origins
    t2 = Transition(
        real,
        s2021,
        carried=t2_shared - set(t2021["changed"]),
        changed=dict(t2021["changed"]),
        added=s2021.origins - real.origins,
        dropped=real.origins - s2021.origins,
        moved=t2021["moved"],
        cosmetic=t2021["cosmetic"],
    )
    assert t2.added == t2021["added"] and t2.dropped == t2021["dropped"]
    return Series(
        [s2019, real, s2021],
        [t1, t2],
        (t2019["renamed"][0], t2019["renamed"][1], next(p.pledge_name for p in pledges if p.pledge_code == "11")),
    )


def with_opaque_counts(series: Series, counts: dict[str, int]) -> Series:
    """Fill in the activities of the opaque pledges (kept verbatim, so the same in 2020 and 2021).

    How many activities an opaque pledge holds depends on how one reads its odd list; whatever the
    parser makes of it, it makes the same of the identical text in both reports. `counts` is the
    parser's count per opaque pledge in the real report.
    """
    for snap in series.snapshots[1:]:
        for code in list(snap.activities):
            if code in counts and not snap.activities[code]:
                snap.activities[code] = [f"{code}#{i}" for i in range(1, counts[code] + 1)]
    t = series.transitions[1]
    opaque = {o for code, n in counts.items() for o in (f"{code}#{i}" for i in range(1, n + 1))}
    t.carried |= opaque
    series.transitions[0].added |= opaque
    return series


def opaque_pledges(seed_path: Path = SEED_REPORT) -> list[str]:
    return [p.pledge_code for p in read_seed(seed_path)[1] if p.is_opaque]


def correct_latest(series: Series, origin: str) -> Series:
    """The series with its latest snapshot corrected: one activity it added left out again.

    A corrected file for the same period (same name, new sha256), as a city would re-publish it.
    """
    latest = series.snapshots[-1]
    t = series.transitions[-1]
    if origin not in t.added:
        raise ValueError(f"{origin} is not an activity added in {latest.file_name}")
    corrected = latest.without(origin)
    last = replace(t, current=corrected, added=t.added - {origin})
    return replace(series, snapshots=[*series.snapshots[:-1], corrected], transitions=[*series.transitions[:-1], last])


# --------------------------------------------------------------------------------------------------
# The real report re-issued: same activities, other rows or another date (text level)


def redated(text: str, report_date: dt.date) -> str:
    """The report under another header date (a misdated copy, or a backfilled older period)."""
    header = re.search(r"【[^】]*】", text)
    if header is None:
        raise ValueError("no report date header")
    line = f"【{report_date.year}. {report_date.month}. {report_date.day}.】"
    return text[: header.start()] + line + text[header.end() :]


def _data_rows(lines: list[str], serial: int) -> list[int]:
    """Indexes of the data rows of one pledge (by its serial)."""
    return [
        i
        for i, line in enumerate(lines)
        if (parts := line.split("\t")) and len(parts) >= 5 and parts[0].strip() == str(serial)
    ]


def with_parts_swapped(text: str, serial: int) -> str:
    """A re-issue whose pledge prints the two parts of its list (continued over a page break) in the
    other order: the same activities, numbered differently (event_seq)."""
    lines = text.split("\n")
    rows = _data_rows(lines, serial)
    if len(rows) != 2:
        raise ValueError(f"serial {serial} is not printed as exactly two rows")
    a, b = rows
    cells_a, cells_b = lines[a].split("\t"), lines[b].split("\t")
    # each row keeps its place on its page, only the lists change places
    lines[a] = "\t".join(cells_a[:4] + cells_b[4:])
    lines[b] = "\t".join(cells_b[:4] + cells_a[4:])
    return "\n".join(lines)


def with_continuation_after_next(text: str, serial: int) -> str:
    """A report whose pledge's continued row (same serial and code after a page break) is printed after
    the next pledge's first row instead of before it."""
    lines = text.split("\n")
    rows = _data_rows(lines, serial)
    if len(rows) != 2:
        raise ValueError(f"serial {serial} is not printed as exactly two rows")
    nxt = _data_rows(lines, serial + 1)
    if not nxt or nxt[0] < rows[1]:
        raise ValueError(f"serial {serial + 1} is not printed after the continued row of {serial}")
    continued = lines.pop(rows[1])
    lines.insert(nxt[0], continued)  # after the next pledge's row, which moved up by one
    return "\n".join(lines)
