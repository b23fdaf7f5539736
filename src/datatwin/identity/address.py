"""Addresses whose street, city, region and postcode hold together.

Each locale's data lists real cities with their region and the leading digits of their postcodes
(for the United Kingdom: the postcode area and its district numbers; for the United States also
the city's telephone area code). A row draws a city, then a postcode that starts like the city's
(the remaining digits at random, so a postcode is plausible for its city but need not exist), a
street from the locale's list and a house number, and writes them in the locale's order:

* en_US ``1234 Maple Avenue, Denver, CO 80211``
* en_GB ``27 Church Road, Manchester M14 6QT``
* de_DE ``Lindenstraße 12a, 80331 München``
* fr_FR ``8 bis rue des Lilas, 69003 Lyon``
* nb_NO ``Storgata 14B, 0155 Oslo``
* es_ES ``Calle Mayor, 12, 28013 Madrid``
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.identity._rows import Rows
from datatwin.identity._text import ZERO, Objects, Pool, ascii_arrow, digit_matrix, join
from datatwin.identity.locales import load, skewed

__all__ = ["address_fields", "area_digits", "draw_address"]

POSTCODE_WIDTH = {"en_US": 5, "de_DE": 5, "fr_FR": 5, "es_ES": 5, "nb_NO": 4}
UK_INWARD_LETTERS = np.frombuffer(b"ABDEFGHJLNPQRSTUWXYZ", dtype=np.uint8)  # never C I K M O V
HOUSE_NUMBERS = 10_000


@dataclass(frozen=True)
class Places:
    city: Pool
    region: Pool
    region_code: Pool
    streets: Pool
    suffixes: Pool
    prefix_value: npt.NDArray[np.int64]  # the postcode's leading digits as a number
    prefix_scale: npt.NDArray[np.int64]  # 10 ** (digits left to draw)
    area: npt.NDArray[np.uint8]  # telephone area codes as ASCII digits (en_US), else empty
    uk_area: Pool  # en_GB: postcode area ("M", "SW", ...)
    uk_first: npt.NDArray[np.int64]  # en_GB: the area's first and number of districts
    uk_count: npt.NDArray[np.int64]


@cache
def numbers() -> Pool:
    return Pool([str(i) for i in range(HOUSE_NUMBERS)])


@cache
def places(code: str) -> Places:
    data = load(code)
    cities = data.cities
    c = len(cities)
    value = np.zeros(c, dtype=np.int64)
    scale = np.ones(c, dtype=np.int64)
    first = np.zeros(c, dtype=np.int64)
    count = np.ones(c, dtype=np.int64)
    area = np.zeros((0, 3), dtype=np.uint8)
    if code == "en_GB":
        first = np.array([int(row[3]) for row in cities], dtype=np.int64)
        count = np.array([int(row[4]) - int(row[3]) + 1 for row in cities], dtype=np.int64)
        uk_area = Pool([str(row[2]) for row in cities])
    else:
        uk_area = Pool(())
        width = POSTCODE_WIDTH[code]
        prefixes = [str(row[3]) for row in cities]
        value = np.array([int(p) for p in prefixes], dtype=np.int64)
        scale = np.array([10 ** (width - len(p)) for p in prefixes], dtype=np.int64)
        if code == "en_US":
            area = digit_matrix(np.array([int(row[4]) for row in cities], dtype=np.int64), 3)
    return Places(
        city=Pool([str(row[0]) for row in cities]),
        region=Pool([str(row[1]) for row in cities]),
        region_code=Pool([str(row[2]) for row in cities]),
        streets=Pool(data.streets),
        suffixes=Pool(data.spec.house_suffixes),
        prefix_value=value,
        prefix_scale=scale,
        area=area,
        uk_area=uk_area,
        uk_first=first,
        uk_count=count,
    )


def draw_address(rows: Rows) -> dict[str, Any]:
    u = rows.uniforms("address", 8)
    p = places(rows.code)
    if rows.code == "en_US":
        house = 1 + (u[2] ** 2 * (HOUSE_NUMBERS - 2)).astype(np.int64)
    else:
        house = 1 + (u[2] ** 2.5 * 180).astype(np.int64)
    return {
        "u": u,
        "city": skewed(u[0], len(p.city)),
        "street": np.minimum((u[1] * len(p.streets)).astype(np.int64), len(p.streets) - 1),
        "house": house,
        "suffix": np.minimum((u[3] * len(p.suffixes)).astype(np.int64), len(p.suffixes) - 1),
    }


def area_digits(rows: Rows) -> npt.NDArray[np.uint8]:
    """The ASCII digits of each row's city's telephone area code, ``(n, 3)`` (en_US only)."""
    return places(rows.code).area[rows.cache["address"]["city"]]


def _postcode(rows: Rows) -> Any:
    if "postcode" not in rows.cache:
        p = places(rows.code)
        draws = rows.cache["address"]
        city, u = draws["city"], draws["u"]
        if rows.code == "en_GB":
            district = p.uk_first[city] + (u[4] * p.uk_count[city]).astype(np.int64)
            inward = np.empty((rows.n, 3), dtype=np.uint8)
            inward[:, 0] = ZERO + (u[5] * 10).astype(np.uint8)
            letters = len(UK_INWARD_LETTERS)
            inward[:, 1] = UK_INWARD_LETTERS[(u[6] * letters).astype(np.int64)]
            inward[:, 2] = UK_INWARD_LETTERS[(u[7] * letters).astype(np.int64)]
            outward = join(p.uk_area.take_arrow(city), numbers().take_arrow(district))
            code = join(outward, " ", ascii_arrow(inward))
        else:
            scale = p.prefix_scale[city]
            value = p.prefix_value[city] * scale + (u[4] * scale).astype(np.int64)
            code = ascii_arrow(digit_matrix(value, POSTCODE_WIDTH[rows.code]))
        rows.cache["postcode"] = code
    return rows.cache["postcode"]


def _street_address(rows: Rows) -> Any:
    if "street_address" not in rows.cache:
        p = places(rows.code)
        draws = rows.cache["address"]
        street = p.streets.take_arrow(draws["street"])
        house = numbers().take_arrow(draws["house"])
        suffix = p.suffixes.take_arrow(draws["suffix"])
        if rows.spec.street_comma:
            line = join(street, ", ", house, suffix)
        elif rows.spec.street_first:
            line = join(street, " ", house, suffix)
        else:
            line = join(house, suffix, " ", street)
        rows.cache["street_address"] = line
    return rows.cache["street_address"]


def _city(rows: Rows) -> Objects:
    return places(rows.code).city.take(rows.cache["address"]["city"])


def _region(rows: Rows) -> Objects:
    return places(rows.code).region.take(rows.cache["address"]["city"])


def _country(rows: Rows) -> Objects:
    return np.full(rows.n, rows.spec.country, dtype=object)


def _address(rows: Rows) -> Any:
    p = places(rows.code)
    city_index = rows.cache["address"]["city"]
    city = p.city.take_arrow(city_index)
    street, postcode = _street_address(rows), _postcode(rows)
    if rows.code == "en_US":
        state = p.region_code.take_arrow(city_index)
        return join(street, ", ", city, ", ", state, " ", postcode)
    if rows.code == "en_GB":
        return join(street, ", ", city, " ", postcode)
    return join(street, ", ", postcode, " ", city)


address_fields = {
    "street_address": _street_address,
    "city": _city,
    "postcode": _postcode,
    "region": _region,
    "country": _country,
    "address": _address,
}
