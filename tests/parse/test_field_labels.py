"""Fields as each city prints them, mapped onto the shared fields by the seed field_labels."""

from __future__ import annotations

import shutil

import pytest

from pipeline.parse import fingerprint
from pipeline.vocab import OTHER_FIELD, field_code_for_label, field_label_key, read_seed


@pytest.mark.parametrize(
    ("printed", "code"),
    [
        ("경 제 분 야", "economy"),
        ("경제분야", "economy"),
        ("경제", "economy"),
        ("일자리 경제", "economy"),
        ("일자리 경제 분야", "economy"),
        ("문 화 관 광", "culture"),
        ("공동체분야", "community"),
        ("주민 참여", "community"),
        ("도시재생", "city"),
        ("환경", "city"),
        ("복지 보건 분야", "welfare"),
        ("기타", "other"),
    ],
)
def test_a_printed_label_maps_onto_its_shared_field_however_it_is_spaced(printed, code):
    assert field_code_for_label(printed) == code


@pytest.mark.parametrize("printed", ["행정", "안 전 분 야", "교육", "우주분야", "분야", ""])
def test_a_label_the_seed_does_not_map_has_no_field_of_its_own(printed):
    # the parser reads it as `other` and names it in an unknown_field warning
    assert field_code_for_label(printed) is None


def test_the_seed_lists_labels_as_they_are_compared_each_once_onto_a_known_field():
    labels = read_seed("field_labels")
    codes = {row["field_code"] for row in read_seed("fields")}
    assert [row["label"] for row in labels] == [field_label_key(row["label"]) for row in labels]
    assert len({row["label"] for row in labels}) == len(labels)
    assert {row["field_code"] for row in labels} == codes


def test_each_field_s_own_name_is_a_label_of_that_field_and_other_sorts_last():
    fields = read_seed("fields")
    assert all(field_code_for_label(row["field_name_ko"]) == row["field_code"] for row in fields)
    assert max(fields, key=lambda row: int(row["sort_order"]))["field_code"] == OTHER_FIELD


def test_a_new_label_in_the_seed_makes_every_report_parse_anew(tmp_path, monkeypatch):
    """The parse cache is keyed by the parser's fingerprint: a label mapped later must reach reports
    parsed before it."""
    package, seeds = fingerprint._PACKAGE, fingerprint._PACKAGE.parent / "dbt_project" / "seeds"
    copy = tmp_path / "pipeline"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(seeds, tmp_path / "dbt_project" / "seeds")
    monkeypatch.setattr(fingerprint, "_PACKAGE", copy)
    before = fingerprint.parser_fingerprint.__wrapped__()
    with open(tmp_path / "dbt_project" / "seeds" / "field_labels.csv", "a", encoding="utf-8") as fh:
        fh.write("행정,community\n")
    assert fingerprint.parser_fingerprint.__wrapped__() != before
