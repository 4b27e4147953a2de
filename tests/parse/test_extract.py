"""People, sessions, venue and format rules, with strings from the real report."""

from __future__ import annotations

import pytest

from pipeline.parse.formats import format_codes, format_for_title
from pipeline.parse.people import attendance
from pipeline.parse.sessions import session_count
from pipeline.parse.venue import find_venue
from pipeline.vocab import read_seed


@pytest.mark.parametrize(
    "texts, count, approx",
    [
        (["일 시 : (1차) '18.11.13(화)/ (2차) '19.11.21.(목)/ 30여명"], 30, True),
        (["일시 : '19.4.8 / 참석인원: 70명"], 70, False),
        (["170개부스, 3,000여명 참여"], 3000, True),
        (["위 원: 총 17명(공무원 6, 교수 2, 시의회 1, 의사 3, 협회·단체 5)"], 17, False),
        (["다양한 분야 문화예술인 일자리 지원 (530명)", "단기 일자리 436명, 장기 일자리 94명"], 530, False),
        (["한옥체험업 118명, 음식점업 28명, 공론화를 통해 인증제 시행안에 대한 공론화"], 146, False),
        (["주거 및 복지단체 실무자, 청년, 시민 등 매회 40명, 누적 200명 참석"], 200, False),
        (["대 상 : 1,000명(전국 700, 전북 300)"], 1000, False),
        (
            [
                "착한가격업소 모니터요원간담회('19.11.27.) : 8명 참석",
                "직능단체 세미나('19.12.18.) : 150여명 참석",
                "완산 소상공인협회 교육('19.12.20.) : 100여명 참석",
            ],
            258,
            True,
        ),
        (["처리결과 : 73건(유관기관 연계 7 / 직접상담 9 / 민원안내 53 / 검토필요 4)"], None, False),
        (["전주푸드 김장축제 운영(332가족 5개 단체 참여)"], None, False),
        (["장소: 전북대 진수당 / 주요내용 : 5명 선발(상금 15백만원, 102팀 접수)"], 5, False),
        (["운영위원 16명 위촉 및 회의(행정2, 시의원 1, 전문가 4, 환경단체 4, 관련 기관 5)"], 16, False),
        (["교수2, 사회적경제조직 전문가 16, 연구원1"], 19, False),
    ],
)
def test_attendee_count(texts, count, approx):
    got = attendance(texts)
    assert (got.count, got.is_approx) == (count, approx)


@pytest.mark.parametrize(
    "texts, count",
    [
        # `X 외 N명` is X and N others: N+1 people
        (["복지환경국장 외 2명"], 3),
        (["※ 보건복지부 2명, 선정위원 5명, 병원관계자 2명, 복지환경국장 외 2명"], 12),
        # 외 inside a word is no "and others"
        (["관외 5명 참석"], 5),
        (["외국인 5명"], 5),
    ],
)
def test_named_person_and_n_others(texts, count):
    assert attendance(texts).count == count


def test_named_person_and_n_others_keeps_its_label():
    [figure] = attendance(["복지환경국장 외 2명"]).figures
    assert (figure.group_label, figure.people_count) == ("복지환경국장", 3)


@pytest.mark.parametrize(
    "texts",
    [
        ["-참석자 : 회차별 10명내외(전주지역에서 활동하고 있는 테이블웨어 산업 관련 현장 활동가와 지역장인)"],
        ["2021 청년 창업스쿨 수강생 모집 홍보", "- 교육기간 : 4월, 5월, 9월(월별 15~25명)"],
    ],
)
def test_per_session_only_gives_no_total_and_so_no_approximate_one(texts):
    got = attendance(texts)
    # the activity has no count to be approximate; its figure keeps what it printed
    assert got.count is None and not got.is_approx
    assert got.figures[0].is_per_session and got.figures[0].is_approx


def test_figures_keep_their_roles():
    figs = attendance(["매회 40명, 누적 200명 참석"]).figures
    assert [(f.people_count, f.is_per_session, f.is_cumulative, f.is_total) for f in figs] == [
        (40, True, False, False),
        (200, False, True, True),
    ]


@pytest.mark.parametrize(
    "own, details, expected",
    [
        ("선미촌정비 민관협의회 소위원회 회의(6회) : '20. 1. ~ 12.", [], 6),
        ("전주푸드 학교급식위원회 2회 개최('19. 2. 27./ '19. 3. 5.)", [], 2),
        ("주거복지학교 총5강 개최('19.5월)", [], 5),
        (
            "전주시 지역유통상위원회 개최를 통한 유통상생 논의",
            ["일 시 : (1차) '18.11.13(화)/ (2차) '19.11.21.(목)/ 30여명"],
            2,
        ),
        ("제3회 세계일보배 전국 드론축구 대회 개최", [], None),
        ("2회 전주창업경진대회 개최 : '20. 11. 20.", [], None),
        ("발달장애인 진료(주 4회) 및 센터 연계 : '20. 10. ~ 12.", [], None),
        ("ABA를 기반한 조기 중재, 문제행동치료 실시(주 2~3회) : '20. 10. ~ 12.", [], None),
    ],
)
def test_session_count(own, details, expected):
    assert session_count(own, details) == expected


@pytest.mark.parametrize(
    "title, details, name, online",
    [
        (
            "2회 전주창업경진대회 개최 : '20. 11. 20.",
            ["장소: 전북대 진수당 / 주요내용 : 5명 선발"],
            "전북대 진수당",
            False,
        ),
        (
            "치매안심마을 치매 극복의 날 주간행사: '19. 9. 12. ~ '19. 9. 25.",
            ["장 소 : 전주평화사회복지관 3층 강당 및 주차장"],
            "전주평화사회복지관 3층 강당 및 주차장",
            False,
        ),
        (
            "마을버스 도입에 따른 환승거점 현장안내 실시 : '20. 11.",
            ["장 소 : 5개소(마을버스 주요 환승거점)"],
            None,
            False,
        ),
        ("청년상상놀이터 내 청년과 상시 소통의 장 마련", [], "청년상상놀이터", False),
        ("전주혁신창업허브 개관식", ["일 시 : '20. 10. 27 (50여명)"], "전주혁신창업허브", False),
        ("한바탕 국민체육센터 개장 및 회원접수, 운영 ('19. 11. 11.)", [], "한바탕 국민체육센터", False),
        ("사업완료에 따른 주민초청 개관식('19. 11. 1.)", [], None, False),
        ("전주자만마을 벽화 트리엔날레 개최 : '20. 11.", [], "전주자만마을", False),
        ("반려동물놀이터 조성사업 주민설명회 : '20. 9. 7.", [], None, False),
        ("충무시설 문화재생 다올마당 운영 : '19. 9. ~", [], None, False),
        (
            "2019 온두레공동체 선정 추진 ('18. 12. 13)",
            ["팔복문화예술공장, 70개 공동체 150명 참여"],
            "팔복문화예술공장",
            False,
        ),
        ("온두레공동체 비대면 온라인워크숍('20. 10.)", [], None, True),
        ("온두레공동체 나르샤 랜선체육대회('20. 10.)", [], None, True),
        ("에코시티 복합커뮤니티센터 건립 설계공모 작품심사 SNS 실시간 방송 : '20. 11.", [], None, True),
        ("제8기 참여자 힐링캠프 개최", ["내용: 사후심리검사 등 온라인으로 진행"], None, True),
        (
            "드론축구 국제위원회 회의",
            ["주요내용 : 드론축구 해외 주요동향, 국제 온라인회의 개최방안 논의 등"],
            None,
            False,
        ),
        ("전북교통방송 라디오('19.12.3), 「전주다움」 배포", [], None, False),
    ],
)
def test_venue(title, details, name, online):
    v = find_venue(title, details)
    assert (v.name, v.is_online) == (name, online)


@pytest.mark.parametrize(
    "title, code",
    [
        ("상생발전기업 선정 관련 간담회", "meeting"),  # the last keyword decides
        ("드론축구 전문가 자문회의 개최('19. 5. 10.)", "advisory"),  # longer keyword at the same end
        ("자문위원회 구성(10명 / 문화전문가, 예술인, 건축가 등) : '16. 5.", "planning"),
        ("2020 스마트공장 배움터 연수생 모집 버스정보시스템(BIS) 홍보", "promotion"),
        ("소상공인 협단체 등 각종 모임 참석, 카드수수료 지원사업 안내", "briefing"),
        ("국제안전도시 공인사업 관련 홍보(통장 및 자생단체 회의) : '20. 5.", "promotion"),  # asides do not head
        ("전주 종합경기장 부지재생 시민 아이디어 공모", "open_call"),  # 경기장 is no 경기
        ("청년예술인 작품 공모전 : '20. 10. 12. ~ 12. 18.", "competition"),
        ("2019 온두레공동체 나르샤 체육대회 개최 (19. 6. 14)", "festival"),
        ("한옥마을 슬로시티 홍보 및 실천을 위한 주민토크 콘서트('19.8.)", "forum"),
        ("공공기관과 시니어 공공데이터 업무 협약 : '20. 8.", "agreement"),
        ("마을버스 운행 협약식(버스업체 5개사) : '20. 12.", "ceremony"),
        ("기업애로 원스톱 지원단 운영 : '20. 1월 ~ 12월", "program"),
        ("주거서비스 봉사단 운영 : '20. 1. ~ 12.", "program"),
        ("다양한 분야 문화예술인 일자리 지원 (530명)", "program"),  # fallback keyword only
        ("시장님과 함께하는 공예작가 간담회('19.11.1.)", "meeting"),
        ("보도자료 33건", "promotion"),
        ("1단계 : 사전 준비('18. 10. ~ '18. 12.)", "other"),
    ],
)
def test_format_by_the_head_of_the_phrase(title, code):
    assert format_for_title(title) == code


@pytest.mark.parametrize(
    "title, code",
    [
        # a specific keyword inside brackets beats a fallback (운영) outside them
        ("민관 거버넌스(\"천만그루정원도시추진위원회\") 운영(6회) : '19. 3.~'20. 1.", "meeting"),
        ("한옥마을 방송국 운영(주 3회 방송) ('19.8.16.~)", "promotion"),
        # ... but never one outside them
        ("국제안전도시 공인사업 관련 홍보(통장 및 자생단체 회의) : '20. 5.", "promotion"),
        # with no specific keyword in the brackets the fallback outside them decides
        ("장애인 주간보호센터 의견 수렴을 통한 보조인력 선발 및 파견 배치(9개소, 17명)('19. 3~)", "program"),
    ],
)
def test_format_a_keyword_in_brackets_beats_a_fallback_outside(title, code):
    assert format_for_title(title) == code


@pytest.mark.parametrize(
    "title, code",
    [
        ("해피하우스 서비스 전주 전역 확대('18년 4개 센터/35개 동)", "program"),
        ("야호아이숲 놀이친구 현장배치 : '20. 8. ~ 11.", "program"),
        ("장애인 주간보호시설 보조인력 파견 배치(9개소) : '20. 2.", "program"),
        ("('20. 2. ~ 12.) 문화체험 : 31명", "program"),
        ("발달장애인 진료(주 4회) 및 센터 연계 : '20. 10. ~ 12.", "program"),
        ("ABA를 기반한 조기 중재, 문제행동치료 실시(주 2~3회) : '20. 10. ~ 12.", "program"),
        ("치매 무료 조기검진사업 추진(5,547건) : ~ '20. 12.", "program"),
        ("정신질환자·아동청소년·자살고위험자 등록 및 사례관리(7,236건) : ~ '20. 12.", "program"),
        ("문화예술자원을 결합한 마음치유 '예술백산' : '20. 9. ~ 12.", "program"),
        # `…사업` heading the phrase, followed only by generic verbs (or nothing)
        ("전주시 온두레공동체 삼삼오오사업 개시 (19. 5. 24)", "program"),
        ("장애인가족 역량강화사업 및 장애인식개선사업 시행('19. 7.~)", "program"),
        ("해피하우스 공동체 활성화를 위한 주민참여 사업('19년 13개 사업/ 10개 등)", "program"),
        # ... but not when something else heads it
        ("공유경제로 반값생활비 만들기 사업 정산 및 평가 : '19. 11. ~12.", "other"),
        ("2020 온두레공동체 사업 기자브리핑 ('19. 12. 24)", "other"),
        # a specific keyword still beats every fallback
        ("주거복지 상담 및 정보제공 서비스 제공 : '20. 1. ~ 12.", "program"),
        ("전북노인일자리 통합지원서비스 구축 회의 : '20. 3.", "meeting"),
        ("한옥마을 별별체험단 회의(2회)('20. 10.)", "meeting"),
        ("전주시민 안전체험 한마당 추진 ('19. 10. 19)", "festival"),
    ],
)
def test_format_services_fall_back_to_program(title, code):
    assert format_for_title(title) == code


@pytest.mark.parametrize(
    "title, code",
    [
        # X 관련 Y: X only modifies the head Y
        ("장애인 자립생활체험홈 운영 관련 지도.점검 실시 : '20. 10. ~ 12.", "other"),
        ("투자유치 전략수립 용역 관련 논의", "other"),
        ("상생발전기업 선정 관련 간담회", "meeting"),
        ("멀티미디어 예술교육실 관련 실무협의 \" '20. 6. 12.", "meeting"),
        # 관련 inside a compound noun (관련기관) is no modifier marker
        ("스마트 신호운영 시스템 구축 시범사업 관련기관 회의 : '20. 7.", "meeting"),
        # a verbal keyword before a plain noun and a generic verb modifies that noun
        ("보건복지부 사회보장제도 신설 협의 요청문 발송('20. 2. 26.)", "other"),
        # ... but an event noun before a word and a verb still heads its phrase
        ("학생건강관리, 공동데이터구축 등 시범사업 본격 추진 : '20. 10. ~ 12.", "program"),
        ("선미촌정비민관협의회 사업공유회 개최('19. 3. 12.)", "meeting"),
        ("부안장애인복지관 벤치마킹 및 전주시 특수교육 입학 설명회 참석('19.7.10.~7.11)", "briefing"),
        ("지역사회 치매협의체 개최: 연2회 ('19. 3. 8. / '19. 12. 19.)", "meeting"),
    ],
)
def test_format_a_keyword_that_only_modifies_a_following_noun_does_not_decide(title, code):
    assert format_for_title(title) == code


SPEC_CODES = {
    "meeting",
    "briefing",
    "public_hearing",
    "forum",
    "workshop",
    "advisory",
    "survey",
    "open_call",
    "competition",
    "education",
    "festival",
    "exhibition",
    "ceremony",
    "promotion",
    "agreement",
    "site_visit",
    "program",
    "planning",
    "other",
}


def test_format_seeds_hold_every_spec_code_and_only_known_codes():
    assert set(format_codes()) == SPEC_CODES
    keywords = read_seed("format_keywords")
    assert {r["format_code"] for r in keywords} <= SPEC_CODES
    assert {r["role"] for r in keywords} <= {"decides", "verbal", "fallback", "head", "generic", "modifier", "mask"}
    # words that decide nothing themselves (generic verbs, 관련, masks) belong to no format
    assert {r["format_code"] for r in keywords if r["role"] in ("generic", "modifier", "mask")} == {"other"}
    assert len({r["keyword"] for r in keywords}) == len(keywords), "a keyword is listed twice"
    assert {r["format_code"] for r in keywords if r["role"] == "decides"} == SPEC_CODES - {"other"}
