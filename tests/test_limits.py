"""The limits on one file: one validated settings object, changed through SELFEVAL_MAX_* variables."""

from __future__ import annotations

import pytest

from extractors.exceptions import LimitExceeded, SettingsError
from extractors.limits import Limits, check_page_points, env_name, read_text_bytes


def test_defaults_need_no_environment():
    limits = Limits.from_env({})
    assert limits == Limits()
    assert limits.max_page_pt == 5000 and limits.max_pdf_pages == 1000
    assert limits.max_seconds_per_file == 120 and limits.max_worker_mb == 2048  # for the run to enforce


@pytest.mark.parametrize(("value", "expected"), [("268435456", 256 << 20), ("256M", 256 << 20), ("256MiB", 256 << 20),
                                                  ("2G", 2 << 30), ("1.5g", 3 << 29), ("512k", 512 << 10)])
def test_byte_limits_take_a_count_or_a_size_with_a_unit(value, expected):
    assert Limits.from_env({"SELFEVAL_MAX_FILE_BYTES": value}).max_file_bytes == expected


def test_every_field_is_read_from_its_own_variable():
    environ = {env_name(name): str(getattr(Limits(), name) + 1) for name in Limits.model_fields}
    limits = Limits.from_env(environ)
    assert all(getattr(limits, name) == getattr(Limits(), name) + 1 for name in Limits.model_fields)
    assert set(environ) == {"SELFEVAL_" + name.upper() for name in Limits.model_fields}


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("SELFEVAL_MAX_PAGE_PT", "abc", ["SELFEVAL_MAX_PAGE_PT='abc'", "allowed: 72 to 14400"]),
    ("SELFEVAL_MAX_PDF_PAGES", "0", ["SELFEVAL_MAX_PDF_PAGES='0'", "allowed: 1 to 1e+06"]),
    ("SELFEVAL_MAX_TEXT_BYTES", "lots", ["SELFEVAL_MAX_TEXT_BYTES='lots'", "allowed: 1 to"]),
    ("SELFEVAL_MAX_SECONDS_PER_FILE", "-5", ["SELFEVAL_MAX_SECONDS_PER_FILE='-5'", "allowed: 0 to 86400"]),
    ("SELFEVAL_MAX_WORKER_MB", "4G", ["SELFEVAL_MAX_WORKER_MB='4G'", "allowed: 256 to"]),
    ("SELFEVAL_MAX_SECONDS", "600", ["no limit SELFEVAL_MAX_SECONDS;", "SELFEVAL_MAX_SECONDS_PER_FILE"]),
])
def test_a_bad_setting_is_named_with_the_values_allowed(variable, value, words):
    with pytest.raises(SettingsError) as info:
        Limits.from_env({variable: value})
    assert info.value.field == variable
    assert all(word in info.value.reason for word in words), info.value.reason


def test_keyword_values_override_the_environment():
    assert Limits.from_env({"SELFEVAL_MAX_PDF_PAGES": "7"}, max_pdf_pages=9).max_pdf_pages == 9


def test_a_reason_names_the_limit_its_value_and_its_setting():
    with pytest.raises(LimitExceeded) as info:
        check_page_points(20000, 20000, 1, file="big.pdf", limits=Limits())
    assert str(info.value) == "big.pdf: page 1 is 20000×20000 pt, over the 5000 pt limit (SELFEVAL_MAX_PAGE_PT)"
    assert info.value.limit == "SELFEVAL_MAX_PAGE_PT"
    check_page_points(14_000, 9_000, 1, limits=Limits(max_page_pt=14_400))  # under a raised limit: no error


def test_a_text_dump_is_read_no_further_than_its_limit(tmp_path):
    path = tmp_path / "long.txt"
    path.write_bytes("项目名称\t示例\n".encode() * 200)
    assert read_text_bytes(path, Limits(max_text_bytes=path.stat().st_size)) == path.read_bytes()
    with pytest.raises(LimitExceeded, match=r"a text dump of 3\.\d KiB, over the 1,000 bytes limit"):
        read_text_bytes(path, Limits(max_text_bytes=1000))
