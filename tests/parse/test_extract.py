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
        (["착한가격업소 모니터요원간담회('19.11.27.) : 8명 참석", "직능단체 세미나('19.12.18.) : 150여명 참석",
          "완산 소상공인협회 교육('19.12.20.) : 100여명 참석"], 258, True),
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


def test_per_session_only_gives_no_total_but_keeps_the_approximation():
    got = attendance(["-참석자 : 회차별 10명내외(전주지역에서 활동하고 있는 테이블웨어 산업 관련 현장 활동가와 지역장인)"])
    assert got.count is None and got.is_approx
    assert got.figures[0].is_per_session


def test_figures_keep_their_roles():
    figs = attendance(["매회 40명, 누적 200명 참석"]).figures
    assert [(f.people_count, f.is_per_session, f.is_cumulative, f.is_total) for f in figs] == [
        (40, True, False, False), (200, False, True, True)]


@pytest.mark.parametrize(
    "own, details, expected",
    [
        ("선미촌정비 민관협의회 소위원회 회의(6회) : '20. 1. ~ 12.", [], 6),
        ("전주푸드 학교급식위원회 2회 개최('19. 2. 27./ '19. 3. 5.)", [], 2),
        ("주거복지학교 총5강 개최('19.5월)", [], 5),
        ("전주시 지역유통상위원회 개최를 통한 유통상생 논의", ["일 시 : (1차) '18.11.13(화)/ (2차) '19.11.21.(목)/ 30여명"], 2),
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
        ("2회 전주창업경진대회 개최 : '20. 11. 20.", ["장소: 전북대 진수당 / 주요내용 : 5명 선발"], "전북대 진수당", False),
        ("치매안심마을 치매 극복의 날 주간행사: '19. 9. 12. ~ '19. 9. 25.", ["장 소 : 전주평화사회복지관 3층 강당 및 주차장"],
         "전주평화사회복지관 3층 강당 및 주차장", False),
        ("마을버스 도입에 따른 환승거점 현장안내 실시 : '20. 11.", ["장 소 : 5개소(마을버스 주요 환승거점)"], None, False),
        ("청년상상놀이터 내 청년과 상시 소통의 장 마련", [], "청년상상놀이터", False),
        ("전주혁신창업허브 개관식", ["일 시 : '20. 10. 27 (50여명)"], "전주혁신창업허브", False),
        ("한바탕 국민체육센터 개장 및 회원접수, 운영 ('19. 11. 11.)", [], "한바탕 국민체육센터", False),
        ("사업완료에 따른 주민초청 개관식('19. 11. 1.)", [], None, False),
        ("전주자만마을 벽화 트리엔날레 개최 : '20. 11.", [], "전주자만마을", False),
        ("반려동물놀이터 조성사업 주민설명회 : '20. 9. 7.", [], None, False),
        ("충무시설 문화재생 다올마당 운영 : '19. 9. ~", [], None, False),
        ("2019 온두레공동체 선정 추진 ('18. 12. 13)", ["팔복문화예술공장, 70개 공동체 150명 참여"], "팔복문화예술공장", False),
        ("온두레공동체 비대면 온라인워크숍('20. 10.)", [], None, True),
        ("온두레공동체 나르샤 랜선체육대회('20. 10.)", [], None, True),
        ("에코시티 복합커뮤니티센터 건립 설계공모 작품심사 SNS 실시간 방송 : '20. 11.", [], None, True),
        ("제8기 참여자 힐링캠프 개최", ["내용: 사후심리검사 등 온라인으로 진행"], None, True),
        ("드론축구 국제위원회 회의", ["주요내용 : 드론축구 해외 주요동향, 국제 온라인회의 개최방안 논의 등"], None, False),
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


SPEC_CODES = {"meeting", "briefing", "public_hearing", "forum", "workshop", "advisory", "survey", "open_call",
              "competition", "education", "festival", "exhibition", "ceremony", "promotion", "agreement",
              "site_visit", "program", "planning", "other"}


def test_format_seeds_hold_every_spec_code_and_only_known_codes():
    assert set(format_codes()) == SPEC_CODES
    keywords = read_seed("format_keywords")
    assert {r["format_code"] for r in keywords} <= SPEC_CODES
    assert {r["role"] for r in keywords} <= {"decides", "fallback", "mask"}
    assert len({r["keyword"] for r in keywords}) == len(keywords), "a keyword is listed twice"
    assert {r["format_code"] for r in keywords if r["role"] == "decides"} == SPEC_CODES - {"other"}
