import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from archives.validators import (
    FEMALE,
    MALE,
    id_number_check_char,
    normalize_id_number,
    parse_id_number,
    validate_phone,
)


def with_check(first_17: str) -> str:
    return first_17 + id_number_check_char(first_17)


def error_code(value: str, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_id_number(value, **kwargs)
    return caught.value.code


# The two worked examples printed in GB 11643-1999 itself.
def test_it_reads_birth_date_and_sex_from_the_standards_female_example():
    facts = parse_id_number("11010519491231002X")
    assert facts.birth_date == dt.date(1949, 12, 31)
    assert facts.sex == FEMALE
    assert facts.region_code == "110105"


def test_it_reads_birth_date_and_sex_from_the_standards_male_example():
    facts = parse_id_number("440524188001010014")
    assert facts.birth_date == dt.date(1880, 1, 1)
    assert facts.sex == MALE


@pytest.mark.parametrize(
    "wrong",
    ["110105194912310021", "440524188001010015", "222405195603140120"],
)
def test_it_rejects_a_wrong_check_digit_without_naming_a_digit_that_would_pass(wrong):
    # A clerk told "it should end in 5" stores a valid-looking number that is nobody's.
    with pytest.raises(ValidationError) as caught:
        parse_id_number(wrong)
    assert caught.value.code == "id_check_digit"
    with translation.override("zh-hans"):
        message = " ".join(caught.value.messages)
    assert message == "这个号码与身份证对不上（校验码与其他数字不符）：请对照身份证逐位重新抄写。"
    assert not any(character.isdigit() or character == "X" for character in message)


def test_it_rejects_an_impossible_birth_date():
    assert error_code(with_check("22240519490230002")) == "id_birth_date"  # 30 February
    assert error_code(with_check("22240519491301002")) == "id_birth_date"  # month 13


def test_it_rejects_a_birth_date_in_the_future():
    tomorrow = dt.date(2026, 11, 27)
    assert error_code(with_check("222405202611270021"[:17]), today=dt.date(2026, 11, 26)) == (
        "id_birth_date"
    )
    assert parse_id_number(with_check("22240520261127002"), today=tomorrow).birth_date == tomorrow


@pytest.mark.parametrize("value", ["", "1101051949123100", "11010519491231002X1"])
def test_it_rejects_a_wrong_length(value):
    assert error_code(value) == "id_length"


@pytest.mark.parametrize(
    "value", ["1101051949123100XX", "11010519491231O02X", "X10105194912310021"]
)
def test_it_rejects_letters_anywhere_but_a_final_x(value):
    assert error_code(value) == "id_shape"


def test_a_lowercase_x_and_spaces_are_normalised():
    assert normalize_id_number(" 110105 19491231002x ") == "11010519491231002X"


def test_full_width_digits_are_normalised_to_the_same_digits():
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


@pytest.mark.parametrize(
    "value",
    [
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits, which \d would accept
        "११०१०५१९४९१२३१००२X",  # Devanagari digits
    ],
)
def test_digits_of_other_scripts_are_not_an_id_number(value):
    assert error_code(value) == "id_shape"


@pytest.mark.parametrize("phone", ["١٣٩٤٣٣٢١٢٣٤", "０４３３-３２２１２３４"])
def test_digits_of_other_scripts_are_not_a_phone_number(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)


@pytest.mark.parametrize(
    "phone", ["13943321234", "19912345678", "0433-3221234", "04333221234", "010-12345678"]
)
def test_it_accepts_mobile_and_landline_numbers(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone", ["12943321234", "1394332123", "139433212345", "433-3221234", "0433-12345", "phone"]
)
def test_it_rejects_malformed_phone_numbers(phone):
    with pytest.raises(ValidationError) as caught:
        validate_phone(phone)
    assert caught.value.code == "phone"
