"""datatwin.identity: fake identities that hold together within a row.

The checks re-derive every check digit here with plain Python integers (not the vectorised code
under test): IBAN mod 97 and country lengths, Luhn, the national ids' own check digits, and their
agreement with the row's birth date and gender.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datatwin.errors import ParameterError
from datatwin.identity import FIELDS, LOCALES, identities
from datatwin.identity import generate as generate_module
from datatwin.identity.locales import SAFE_DOMAINS, SPECS, load, to_ascii

N = 300
REQUIRED = {
    "first_name",
    "last_name",
    "name",
    "gender",
    "email",
    "username",
    "phone",
    "street_address",
    "city",
    "postcode",
    "region",
    "country",
    "address",
    "company",
    "job_title",
    "iban",
    "card_number",
    "card_brand",
    "national_id",
    "birth_date",
}
IBAN_LENGTH = {"GB": 22, "DE": 22, "FR": 27, "NO": 15, "ES": 24}
PHONE = {
    "en_US": r"\(\d{3}\) 555-01\d\d",
    "en_GB": r"(07700 900\d{3}|0\d{2,3} \d{3,4} \d{4}|020 7946 0\d{3})",
    "de_DE": r"(030 23125|069 90009|040 66969|0221 4710|089 99998)\d{3}",
    "fr_FR": r"0[1-6] (99 00|61 91|53 01|65 71|36 49|39 98) \d\d \d\d",
    "nb_NO": r"([49]\d\d \d\d \d{3}|2\d \d\d \d\d \d\d)",
    "es_ES": r"[69]\d\d \d{3} \d{3}",
}
POSTCODE = {
    "en_US": r"\d{5}",
    "en_GB": r"[A-Z]{1,2}\d{1,2} \d[ABD-HJLNP-UW-Z]{2}",
    "de_DE": r"\d{5}",
    "fr_FR": r"\d{5}",
    "nb_NO": r"\d{4}",
    "es_ES": r"\d{5}",
}


def make(locale: str = "en_US", n: int = N, seed: int = 0, **kw: Any) -> dict[str, np.ndarray]:
    return identities(FIELDS, n, np.random.default_rng(seed), locale=locale, **kw)


@pytest.fixture(scope="module", params=LOCALES)
def rows(request: pytest.FixtureRequest) -> tuple[str, dict[str, np.ndarray]]:
    return request.param, make(request.param)


# --- independent checkers ----------------------------------------------------------------------


def iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def steuer_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    counts = Counter(digits[:10])
    if digits[0] == 0 or sorted(counts.values())[-1] != 2 or list(counts.values()).count(2) != 1:
        return False
    product = 10
    for d in digits[:10]:
        total = (d + product) % 10 or 10
        product = total * 2 % 11
    check = 11 - product
    return (0 if check == 10 else check) == digits[10]


def fnr_ok(number: str) -> bool:
    d = [int(c) for c in number]
    w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
    w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    k1 = (11 - sum(a * b for a, b in zip(w1, d[:9], strict=True)) % 11) % 11
    k2 = (11 - sum(a * b for a, b in zip(w2, d[:10], strict=True)) % 11) % 11
    return k1 == d[9] and k2 == d[10]


def no_individual_ok(individual: int, year: int) -> bool:
    if 1854 <= year < 1900:
        return 500 <= individual <= 749
    if 1900 <= year < 1940:
        return individual <= 499
    if 1940 <= year < 2000:
        return individual <= 499 or individual >= 900
    return 500 <= individual <= 999


def spanish_dc(digits: str) -> int:
    weights = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]
    d = 11 - sum(w * int(x) for w, x in zip(weights, digits, strict=True)) % 11
    return {11: 0, 10: 1}.get(d, d)


def ni_prefix_ok(prefix: str) -> bool:  # UK National Insurance prefix rules
    return (
        prefix[0] not in "DFIQUV"
        and prefix[1] not in "DFIOQUV"
        and prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
    )


def ymd(date: np.datetime64) -> tuple[int, int, int]:
    text = str(date.astype("datetime64[D]"))
    year, month, day = text.split("-")
    return int(year), int(month), int(day)


# --- the interface -----------------------------------------------------------------------------


def test_fields_and_locales_are_listed() -> None:
    assert set(FIELDS) >= REQUIRED
    assert len(LOCALES) >= 5
    assert len(set(FIELDS)) == len(FIELDS)


def test_every_field_for_every_locale(rows: tuple[str, dict[str, np.ndarray]]) -> None:
    locale, out = rows
    assert list(out) == list(FIELDS)
    for field, values in out.items():
        assert values.shape == (N,), field
        if field == "birth_date":
            assert values.dtype == np.dtype("datetime64[D]")
            assert not np.isnat(values).any()
        else:
            assert values.dtype == object, field
            assert all(isinstance(v, str) and v and v == v.strip() for v in values), field
    assert (out["country"] == SPECS[locale].country).all()
    # a pool of a few hundred names: a sample of 300 rows repeats some but not all
    assert len(set(out["name"])) > N // 2


def test_names_follow_the_gender(rows: tuple[str, dict[str, np.ndarray]]) -> None:
    locale, out = rows
    data = load(locale)
    female, male = set(data.female), set(data.male)
    for first, last, name, gender in zip(
        out["first_name"], out["last_name"], out["name"], out["gender"], strict=True
    ):
        assert first in (female if gender == "female" else male)
        assert name == f"{first} {last}"
        surnames = last.split(" ") if data.spec.two_surnames else [last]
        assert all(s in data.last for s in surnames) or last in data.last
    assert set(out["gender"]) == {"female", "male"}


def test_email_and_username_come_from_the_rows_name(
    rows: tuple[str, dict[str, np.ndarray]],
) -> None:
    locale, out = rows
    spec = SPECS[locale]
    domains = set(spec.mail_domains) | set(SAFE_DOMAINS)
    for first, last, email, user in zip(
        out["first_name"], out["last_name"], out["email"], out["username"], strict=True
    ):
        f = to_ascii(first, spec.folds)
        last_name = last.split(" ")[0] if spec.two_surnames else last
        s = to_ascii(last_name, spec.folds)
        forms = {
            f"{f}.{s}",
            f"{f}{s}",
            f"{f[0]}{s}",
            f"{f}_{s}",
            f"{s}.{f}",
            f,
            f"{f}{s[0]}",
            f"{f[0]}.{s}",
            f"{s}{f[0]}",
        }
        pattern = "(" + "|".join(re.escape(x) for x in forms) + r")\d{0,4}"
        local, _, domain = email.partition("@")
        assert re.fullmatch(pattern, local), (first, last, email)
        assert domain in domains
        assert re.fullmatch(pattern, user), (first, last, user)
        assert email.isascii()
        assert email == email.lower()
    assert any(e.split("@")[1] in SAFE_DOMAINS for e in out["email"])
    assert any(e.split("@")[1] not in SAFE_DOMAINS for e in out["email"])


def test_phone_numbers_follow_the_locale(rows: tuple[str, dict[str, np.ndarray]]) -> None:
    locale, out = rows
    for phone in out["phone"]:
        assert re.fullmatch(PHONE[locale], phone), phone
    if locale == "en_US":  # the area code is the city's
        area = {(c[0], c[1]): c[4] for c in load(locale).cities}
        for phone, city, region in zip(out["phone"], out["city"], out["region"], strict=True):
            assert phone[1:4] == area[(city, region)]


def test_address_parts_agree(rows: tuple[str, dict[str, np.ndarray]]) -> None:
    locale, out = rows
    cities = load(locale).cities
    for street, city, postcode, region, address in zip(
        out["street_address"],
        out["city"],
        out["postcode"],
        out["region"],
        out["address"],
        strict=True,
    ):
        assert re.fullmatch(POSTCODE[locale], postcode), postcode
        matches = [c for c in cities if c[0] == city and c[1] == region]
        assert matches, (city, region)
        if locale == "en_GB":
            outward = postcode.split(" ")[0]
            assert any(
                re.fullmatch(re.escape(c[2]) + r"\d+", outward)
                and c[3] <= int(outward[len(c[2]) :]) <= c[4]
                for c in matches
            ), (city, postcode)
        else:
            assert any(postcode.startswith(c[3]) for c in matches), (city, postcode)
        for part in (street, city, postcode):
            assert part in address
        assert address.startswith(street)
    street_names = set(load(locale).streets)
    assert all(any(s in a for s in street_names) for a in out["street_address"][:30])


def test_ibans_have_valid_check_digits_and_lengths(
    rows: tuple[str, dict[str, np.ndarray]],
) -> None:
    locale, out = rows
    country = SPECS[locale].iban_country
    for iban in out["iban"]:
        assert iban[:2] == country
        assert len(iban) == IBAN_LENGTH[country]
        assert re.fullmatch(r"[A-Z]{2}\d\d[A-Z0-9]+", iban)
        assert iban_ok(iban), iban
        bban = iban[4:]
        if country == "NO":  # the account number's own mod-11 digit
            weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
            rest = sum(w * int(d) for w, d in zip(weights, bban[:10], strict=True)) % 11
            assert int(bban[10]) == (0 if rest == 0 else 11 - rest)
        if country == "FR":  # the RIB key
            bank, branch, account, key = bban[:5], bban[5:10], bban[10:21], bban[21:]
            assert int(key) == 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
        if country == "ES":  # the two dígitos de control
            assert int(bban[8]) == spanish_dc("00" + bban[:8])
            assert int(bban[9]) == spanish_dc(bban[10:20])
    assert len(set(out["iban"])) == N


def test_cards_pass_luhn_and_match_their_brand(rows: tuple[str, dict[str, np.ndarray]]) -> None:
    _, out = rows
    for number, brand in zip(out["card_number"], out["card_brand"], strict=True):
        assert number.isdigit(), number
        assert luhn_ok(number), number
        if brand == "Visa":
            assert number[0] == "4"
            assert len(number) == 16
        elif brand == "Mastercard":
            assert len(number) == 16
            assert 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720
        else:
            assert brand == "American Express"
            assert number[:2] in ("34", "37")
            assert len(number) == 15
    assert {"Visa", "Mastercard"} <= set(out["card_brand"])


def check_national(locale: str, out: dict[str, np.ndarray]) -> None:
    for nid, gender, birth in zip(
        out["national_id"], out["gender"], out["birth_date"], strict=True
    ):
        year, month, day = ymd(birth)
        if locale == "en_US":
            m = re.fullmatch(r"9\d\d-(\d\d)-(\d{4})", nid)
            assert m, nid
            assert 1 <= int(m.group(1)) <= 49  # no SSN, no ITIN
            assert int(m.group(2)) >= 1
        elif locale == "en_GB":
            assert re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", nid), nid
            assert ni_prefix_ok(nid[:2]), nid
        elif locale == "de_DE":
            assert re.fullmatch(r"\d{11}", nid), nid
            assert steuer_ok(nid), nid
        elif locale == "fr_FR":
            assert re.fullmatch(r"\d{15}", nid), nid
            assert nid[0] == ("1" if gender == "male" else "2")
            assert nid[1:3] == f"{year % 100:02d}"
            assert nid[3:5] == f"{month:02d}"
            assert 1 <= int(nid[5:7]) <= 95
            assert nid[5:7] != "20"
            assert int(nid[13:]) == 97 - int(nid[:13]) % 97
        elif locale == "nb_NO":
            assert re.fullmatch(r"\d{11}", nid), nid
            assert fnr_ok(nid), nid
            assert nid[:6] == f"{day:02d}{month:02d}{year % 100:02d}"
            individual = int(nid[6:9])
            assert no_individual_ok(individual, year), (nid, year)
            assert individual % 2 == (1 if gender == "male" else 0)
        else:
            assert re.fullmatch(r"\d{8}[A-Z]", nid), nid
            assert nid[8] == "TRWAGMYFPDXBNJZSQVHLCKE"[int(nid[:8]) % 23]


def test_national_ids_have_valid_check_digits(rows: tuple[str, dict[str, np.ndarray]]) -> None:
    locale, out = rows
    check_national(locale, out)
    assert len(set(out["national_id"])) > N * 0.95


@pytest.mark.parametrize("locale", LOCALES)
def test_given_gender_and_birth_date_are_respected(locale: str) -> None:
    rng = np.random.default_rng(5)
    n = 120
    gender = rng.choice(np.array(["female", "male", "F", "m", None], dtype=object), n)
    birth = np.datetime64("1900-01-01") + rng.integers(0, 50_000, n).astype("timedelta64[D]")
    birth[::7] = np.datetime64("NaT")
    out = make(locale, n, seed=3, gender=gender, birth_date=birth)
    given_g = np.array([{"f": "female", "m": "male"}.get(str(g)[:1].lower()) for g in gender])
    known = given_g != None  # noqa: E711 (an elementwise comparison)
    assert (out["gender"][known] == given_g[known]).all()
    dated = ~np.isnat(birth)
    assert (out["birth_date"][dated] == birth[dated]).all()
    assert not np.isnat(out["birth_date"]).any()
    check_national(locale, out)
    female = set(load(locale).female)
    assert all(
        (f in female) == (g == "female")
        for f, g in zip(out["first_name"], out["gender"], strict=True)
    )


def test_norwegian_ids_cover_every_century_range() -> None:
    dates = np.array(["1860-03-01", "1925-12-31", "1950-06-15", "1999-01-01", "2020-02-29"])
    birth = np.repeat(dates.astype("datetime64[D]"), 40)
    out = identities(
        ["national_id", "gender", "birth_date"], len(birth), np.random.default_rng(1),
        locale="nb_NO", birth_date=birth,
    )  # fmt: skip
    check_national("nb_NO", out)
    with pytest.raises(ParameterError, match="1854 to 2039"):
        identities(
            ["national_id"], 1, np.random.default_rng(0), locale="nb_NO",
            birth_date=np.array(["1800-01-01"], dtype="datetime64[D]"),
        )  # fmt: skip


# --- randomness --------------------------------------------------------------------------------


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    a, b, c = make(seed=11, n=50), make(seed=11, n=50), make(seed=12, n=50)
    for field in FIELDS:
        assert (a[field] == b[field]).all(), field
        if field != "country":
            assert (a[field] != c[field]).any(), field


def test_a_field_does_not_depend_on_the_other_fields_asked_for() -> None:
    alone = identities(["email"], 40, np.random.default_rng(4), locale="fr_FR")["email"]
    rows = identities(["phone", "email", "name"], 40, np.random.default_rng(4), locale="fr_FR")
    assert (alone == rows["email"]).all()
    both = identities(["city", "phone"], 40, np.random.default_rng(4))
    assert (identities(["phone"], 40, np.random.default_rng(4))["phone"] == both["phone"]).all()


def test_the_generator_advances_by_a_fixed_amount() -> None:
    states = []
    for fields, n, locale in (
        (["name"], 3, "en_US"),
        (FIELDS, 70, "nb_NO"),
        (["iban"], 0, "de_DE"),
    ):
        rng = np.random.default_rng(9)
        identities(fields, n, rng, locale=locale)
        states.append(rng.bit_generator.state["state"]["state"])
    assert len(set(states)) == 1


def test_rows_per_locale_and_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    locales = np.array([LOCALES[i % len(LOCALES)] for i in range(60)], dtype=object)
    out = identities(FIELDS, 60, np.random.default_rng(2), locale=locales)
    for locale in LOCALES:
        part = {f: v[locales == locale] for f, v in out.items()}
        assert (part["country"] == SPECS[locale].country).all()
        assert all(i.startswith(SPECS[locale].iban_country) for i in part["iban"])
        check_national(locale, part)
    monkeypatch.setattr(generate_module, "BLOCK", 7)
    blocked = identities(FIELDS, 30, np.random.default_rng(2), locale="de_DE")
    again = identities(FIELDS, 30, np.random.default_rng(2), locale="de_DE")
    assert all((blocked[f] == again[f]).all() for f in FIELDS)
    check_national("de_DE", blocked)
    assert all(iban_ok(i) for i in blocked["iban"])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 50),
    fields=st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8),
    locale=st.one_of(st.sampled_from(LOCALES), st.just("mixed")),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_fields_any_rows(n: int, fields: list[str], locale: str, seed: int) -> None:
    codes: Any = locale
    if locale == "mixed":
        codes = [LOCALES[(seed + i) % len(LOCALES)] for i in range(n)]
    out = identities(fields, n, np.random.default_rng(seed), locale=codes)
    again = identities(fields, n, np.random.default_rng(seed), locale=codes)
    assert list(out) == list(dict.fromkeys(fields))
    for field, values in out.items():
        assert values.shape == (n,)
        assert (values == again[field]).all()
        if field == "birth_date":
            assert not np.isnat(values).any()
        else:
            assert all(isinstance(v, str) and v for v in values)
        if field == "iban":
            assert all(iban_ok(v) for v in values)
        if field == "card_number":
            assert all(luhn_ok(v) for v in values)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": ["name", "shoe_size"]}, "Unknown identity field 'shoe_size'; use any of"),
        ({"locale": "xx_XX"}, "Unknown locale 'xx_XX'; use one of en_US"),
        ({"locale": ["en_US", "klingon"]}, "Unknown locale 'klingon'"),
        ({"locale": ["en_US"] * 3}, "one per row"),
        ({"n": -1}, "int >= 0"),
        ({"n": 2.5}, "int >= 0"),
        ({"gender": ["female", "robot"]}, "Unknown gender 'robot'"),
        ({"gender": ["female"]}, "one value per row"),
        ({"birth_date": ["1990-01-01", "not a date"]}, "birth_date must hold dates"),
        ({"birth_date": [1, 2]}, "birth_date must hold dates"),
        ({"rng": 42}, "numpy.random.Generator"),
    ],
)
def test_bad_arguments_say_what_to_do(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"fields": ["name"], "n": 2, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ParameterError, match=re.escape(message)):
        identities(args.pop("fields"), args.pop("n"), args.pop("rng"), **args)


def test_import_reads_no_data() -> None:
    code = (
        "import datatwin.identity; from datatwin.identity.locales import load;"
        "assert load.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_word_lists_are_large_enough() -> None:
    for locale in LOCALES:
        data = load(locale)
        assert min(len(data.female), len(data.male)) >= 190, locale
        assert len(data.last) >= 150, locale
        assert len(data.cities) >= 50, locale
        assert min(len(data.streets), len(data.jobs)) >= 50, locale
        assert not set(data.female) & set(data.male), locale
