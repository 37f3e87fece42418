"""Entities: regions and countries (through the matcher's analysis), phones, money, sizes, periods."""

from __future__ import annotations

from datetime import date

import pytest

from intents.entities import PackageSize, Period, find_money, find_period, find_phones, find_sizes
from intents.matcher import Matcher
from kernel.phones import normalize_phone

pytestmark = pytest.mark.storage_free  # understanding, files, config: no database (runs once, not per backend)

NIZHNY = "nizhny-novgorod-oblast"
KEMEROVO = "kemerovo-oblast"

# -- regions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("какой номер поддержки в Нижегородской области", NIZHNY),
        ("я живу в Нижнем Новгороде", NIZHNY),
        ("звоню из Нижнего Новгорода", NIZHNY),
        ("мы нижегородцы, куда нам звонить", NIZHNY),
        ("support in Nizhny Novgorod please", NIZHNY),
        ("телефон для Кузбасса", KEMEROVO),
        ("Кузбасс", KEMEROVO),
        ("я сейчас в Кемерово", KEMEROVO),
        ("из Новокузнецка звоню", KEMEROVO),
        ("в кемеровской области", KEMEROVO),
        ("Москва", "moscow"),
        ("по Москве", "moscow"),
        ("Подмосковье", "moscow-oblast"),
        ("живу в подмосковье", "moscow-oblast"),
        ("в Московской области", "moscow-oblast"),
        ("в Томской области", "tomsk-oblast"),
        ("в Питере", "saint-petersburg"),
        ("в Казани", "tatarstan"),
    ],
)
def test_region_in_any_case(matcher: Matcher, text: str, region: str) -> None:
    entities = matcher.analyse(text).entities
    assert entities.regions == [region]
    assert entities.region == region
    assert entities.abroad is False


def test_moscow_and_its_oblast_are_different_regions(matcher: Matcher) -> None:
    city = matcher.analyse("номер для Москвы").entities.region
    oblast = matcher.analyse("номер для Подмосковья").entities.region
    assert city == "moscow"
    assert oblast == "moscow-oblast"
    assert city != oblast


def test_two_regions_in_one_message(matcher: Matcher) -> None:
    regions = matcher.analyse("переехал из Кемерово в Нижний Новгород").entities.regions
    assert regions == [KEMEROVO, NIZHNY]


@pytest.mark.parametrize("text", ["как позвонить в поддержку", "какой у меня тариф", "what is my balance", "хочу сменить тариф"])
def test_no_region(matcher: Matcher, text: str) -> None:
    entities = matcher.analyse(text).entities
    assert entities.regions == []
    assert entities.region is None
    assert entities.abroad is False


@pytest.mark.parametrize("text", ["я сейчас в Турции", "отдыхаю в Египте", "в Германии не работает связь", "roaming in Turkey",
                                  "I'm in Georgia now", "а если я не в России?", "звоню из-за пределов страны",
                                  "what if I'm not in Russia"])
def test_countries_mean_abroad(matcher: Matcher, text: str) -> None:
    entities = matcher.analyse(text).entities
    assert entities.abroad is True
    assert entities.regions == []


def test_region_and_country_become_terms(matcher: Matcher) -> None:
    assert "@region" in matcher.analyse("номер в Кемерово").terms
    assert "@abroad" in matcher.analyse("номер в Турции").terms


@pytest.mark.parametrize(("text", "concept"), [
    ("перечень всех своих звонков за три месяца", "~details"),
    ("список всех моих вызовов", "~details"),
    ("how do I get a list of all my calls", "~details"),
    ("a list of the calls from last month", "~details"),
])
def test_a_phrase_is_found_with_fillers_inside(matcher: Matcher, text: str, concept: str) -> None:
    """ "перечень звонков" is known; "всех своих" between its words does not hide it."""
    assert concept in matcher.analyse(text).terms


@pytest.mark.parametrize("text", ["перечень всех", "список моих дел", "the list of all the things"])
def test_fillers_alone_make_no_phrase(matcher: Matcher, text: str) -> None:
    assert "~details" not in matcher.analyse(text).terms


# -- phone numbers ----------------------------------------------------------------------------

ONE = "+79990000001"


@pytest.mark.parametrize(
    "text",
    [
        "+7 999 000-00-01",
        "89990000001",
        "8 (999) 000 00 01",
        "+7(999)0000001",
        "9990000001",
        "7 999 000 00 01",
        "мой номер 8-999-000-00-01.",
        "+7\u00a0999\u00a0000\u00a000\u00a001",
    ],
)
def test_find_phones_in_any_writing(text: str) -> None:
    assert find_phones(text) == [ONE]


def test_find_phones_several_and_deduplicated() -> None:
    text = "старый +7 999 000-00-01, новый 8 (999) 000-00-02, и снова 89990000001"
    assert find_phones(text) == [ONE, "+79990000002"]


def test_find_phones_federal_number() -> None:
    assert find_phones("позвоните на 8 800 555-06-11") == ["+78005550611"]


@pytest.mark.parametrize("text", ["611", "код 123456", "2026-11-24", "1000 рублей", ""])
def test_find_phones_ignores_other_numbers(text: str) -> None:
    assert find_phones(text) == []


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("+7 999 000-00-01", ONE),
        ("89990000001", ONE),
        ("79990000001", ONE),
        ("8 (999) 000-00-01", ONE),
        ("999 000 00 01", ONE),
        (" +7 (999) 000-00-01 ", ONE),
        ("8 800 555-06-11", "+78005550611"),
        ("12345", None),
        ("+1 555 123 4567", None),
        ("19990000001", None),
        ("", None),
    ],
)
def test_normalize_phone(text: str, phone: str | None) -> None:
    assert normalize_phone(text) == phone


# -- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kopecks"),
    [
        ("200 р", [20000]),
        ("200р", [20000]),
        ("10 р.", [1000]),
        ("120,50 руб", [12050]),
        ("120.5 руб.", [12050]),
        ("1000 рублей", [100000]),
        ("50 рубля", [5000]),
        ("500 rubles", [50000]),
        ("1 rouble", [100]),
        ("100 RUB", [10000]),
        ("99₽", [9900]),
        ("99 ₽", [9900]),
        ("положи 300 руб, а потом ещё 50 р", [30000, 5000]),
    ],
)
def test_find_money(text: str, kopecks: list[int]) -> None:
    assert find_money(text) == kopecks


@pytest.mark.parametrize("text", ["5 раз", "7 рыб", "20 гб", "номер 611", "500 мин"])
def test_find_money_needs_a_currency(text: str) -> None:
    assert find_money(text) == []


@pytest.mark.parametrize(("text", "kopecks"), [("1 000 руб", [100000]), ("списали 1 500 рублей", [150000]),
                                              ("10 000 ₽", [1000000])])
def test_find_money_with_thousands_separator(text: str, kopecks: list[int]) -> None:
    assert find_money(text) == kopecks


# -- package sizes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("5 гб", [PackageSize("gb", 5)]),
        ("10gb", [PackageSize("gb", 10)]),
        ("20 GB", [PackageSize("gb", 20)]),
        ("1,5 гб", [PackageSize("gb", 1.5)]),
        ("10 гигов", [PackageSize("gb", 10)]),
        ("5 гигабайт", [PackageSize("gb", 5)]),
        ("1024 mb", [PackageSize("gb", 1)]),
        ("100 минут", [PackageSize("min", 100)]),
        ("300 мин", [PackageSize("min", 300)]),
        ("50 смс", [PackageSize("sms", 50)]),
        ("100 sms", [PackageSize("sms", 100)]),
        ("50 сообщений", [PackageSize("sms", 50)]),
        ("добавь 5 гб и 100 минут", [PackageSize("gb", 5), PackageSize("min", 100)]),
    ],
)
def test_find_sizes(text: str, sizes: list[PackageSize]) -> None:
    assert find_sizes(text) == sizes


def test_megabytes_become_gigabytes() -> None:
    [size] = find_sizes("500 мб")
    assert size.kind == "gb"
    assert size.amount == pytest.approx(500 / 1024)
    assert str(PackageSize("gb", 5)) == "5 gb"


@pytest.mark.parametrize("text", ["5 гбит", "200 рублей", "тариф 5"])
def test_find_sizes_ignores_other_numbers(text: str) -> None:
    assert find_sizes(text) == []


# -- periods ----------------------------------------------------------------------------------

TODAY = date(2026, 11, 24)  # a Tuesday


def period(start: tuple[int, int, int], end: tuple[int, int, int]) -> Period:
    return Period(date(*start), date(*end))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("расходы за октябрь", period((2026, 10, 1), (2026, 10, 31))),
        ("детализация за октябре", period((2026, 10, 1), (2026, 10, 31))),
        ("за ноябрь", period((2026, 11, 1), (2026, 11, 24))),  # the current month ends today
        ("за декабрь", period((2025, 12, 1), (2025, 12, 31))),  # a later month: last year
        ("за январь 2025", period((2025, 1, 1), (2025, 1, 31))),
        ("за март", period((2026, 3, 1), (2026, 3, 31))),
        ("в мае", period((2026, 5, 1), (2026, 5, 31))),
        ("за прошлый месяц", period((2026, 10, 1), (2026, 10, 31))),
        ("last month", period((2026, 10, 1), (2026, 10, 31))),
        ("за этот месяц", period((2026, 11, 1), (2026, 11, 24))),
        ("this month", period((2026, 11, 1), (2026, 11, 24))),
        ("last 7 days", period((2026, 11, 18), (2026, 11, 24))),
        ("за последние 7 дней", period((2026, 11, 18), (2026, 11, 24))),
        ("за последние 2 недели", period((2026, 11, 11), (2026, 11, 24))),
        ("за прошлую неделю", period((2026, 11, 18), (2026, 11, 24))),
        ("с 1 по 15 ноября", period((2026, 11, 1), (2026, 11, 15))),
        ("1-15 ноября", period((2026, 11, 1), (2026, 11, 15))),
        ("с 20 по 30 ноября", period((2026, 11, 20), (2026, 11, 24))),  # never past today
        ("from 1 to 15 october", period((2026, 10, 1), (2026, 10, 15))),
        ("01.10-15.10", period((2026, 10, 1), (2026, 10, 15))),
        ("01.10.2026 - 15.10.2026", period((2026, 10, 1), (2026, 10, 15))),
        ("вчера", period((2026, 11, 23), (2026, 11, 23))),
        ("yesterday", period((2026, 11, 23), (2026, 11, 23))),
        ("сегодня", period((2026, 11, 24), (2026, 11, 24))),
        ("expenses for May", period((2026, 5, 1), (2026, 5, 31))),
        ("for may", period((2026, 5, 1), (2026, 5, 31))),
        ("details for march", period((2026, 3, 1), (2026, 3, 31))),
        ("in october", period((2026, 10, 1), (2026, 10, 31))),
    ],
)
def test_find_period(text: str, expected: Period) -> None:
    assert find_period(text, TODAY) == expected


def test_period_days() -> None:
    assert period((2026, 10, 1), (2026, 10, 31)).days() == 31
    assert find_period("last 7 days", TODAY).days() == 7  # type: ignore[union-attr]


def test_last_month_across_a_year_boundary() -> None:
    assert find_period("за прошлый месяц", date(2026, 1, 10)) == period((2025, 12, 1), (2025, 12, 31))


@pytest.mark.parametrize("text", ["may I see my expenses", "I may need call details", "what is my balance", "покажи расходы",
                                  "за 31.02-01.03"])
def test_no_period(text: str) -> None:
    assert find_period(text, TODAY) is None


@pytest.mark.parametrize("text", ["детализация за 25.11-30.11", "за январь 2027"])
def test_future_period_is_not_inverted(text: str) -> None:
    found = find_period(text, TODAY)
    assert found is None or found.start <= found.end
