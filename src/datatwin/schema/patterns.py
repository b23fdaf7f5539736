"""Recognisers for personal data and identifiers in string columns.

Detection looks at a sample of a column's values; a column is flagged when nearly all of them match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["FIRST_NAMES", "LAST_NAMES", "detect_pii", "luhn_valid", "value_template"]

EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?\(?(\d[\s.\-()]*){7,15}$")
PHONE_SEPARATED = re.compile(r"[\s.\-()+]")
NATIONAL_ID = re.compile(r"^\d{3}-\d{2}-\d{4}$")
CARD = re.compile(r"^\d{4}([ -]?\d{4}){2}[ -]?\d{1,7}$")
IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$")
NAME_WORD = re.compile(r"^[A-Z][a-z'\-]+\.?$")
NAME_HINTS = (
    "name",
    "first",
    "last",
    "surname",
    "given",
    "family",
    "person",
    "patient",
    "customer",
)

# Common given names and surnames (US census frequency lists); used to recognise person names and,
# by the generators, to make up fake ones that belong to nobody in particular.
FIRST_NAMES: tuple[str, ...] = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Dorothy",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Edward",
    "Rebecca",
    "Jason",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Kathleen",
    "Gary",
    "Amy",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Anna",
    "Stephen",
    "Brenda",
    "Larry",
    "Pamela",
    "Justin",
    "Emma",
    "Scott",
    "Nicole",
    "Brandon",
    "Helen",
    "Benjamin",
    "Samantha",
    "Samuel",
    "Katherine",
    "Gregory",
    "Christine",
    "Alexander",
    "Debra",
    "Frank",
    "Rachel",
    "Patrick",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Catherine",
    "Dennis",
    "Maria",
    "Jerry",
    "Heather",
    "Tyler",
    "Diane",
    "Aaron",
    "Ruth",
    "Jose",
    "Julie",
    "Adam",
    "Olivia",
    "Nathan",
    "Joyce",
    "Henry",
    "Virginia",
    "Douglas",
    "Victoria",
    "Zachary",
    "Kelly",
    "Peter",
    "Lauren",
    "Kyle",
    "Christina",
    "Ethan",
    "Joan",
    "Walter",
    "Evelyn",
    "Noah",
    "Judith",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
)
_KNOWN_NAMES = frozenset(n.lower() for n in FIRST_NAMES + LAST_NAMES)

MATCH_SHARE = 0.9  # share of sampled values that must match a recogniser


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _share(values: Sequence[str], pattern: re.Pattern[str]) -> float:
    return sum(1 for v in values if pattern.match(v)) / len(values)


def _looks_like_phone(values: Sequence[str]) -> bool:
    if _share(values, PHONE) < MATCH_SHARE:
        return False
    # Plain runs of digits are more often codes or amounts than phone numbers: ask for separators
    # or a leading + in most values.
    return sum(1 for v in values if PHONE_SEPARATED.search(v)) / len(values) >= MATCH_SHARE


def _looks_like_cards(values: Sequence[str]) -> bool:
    if _share(values, CARD) < MATCH_SHARE:
        return False
    digits = [re.sub(r"\D", "", v) for v in values]
    return sum(luhn_valid(d) for d in digits) / len(values) >= MATCH_SHARE


def _looks_like_names(column_name: str, values: Sequence[str]) -> bool:
    lowered = column_name.lower()
    if not any(hint in lowered for hint in NAME_HINTS):
        return False
    words = [v.split() for v in values]
    shaped = sum(1 for w in words if 1 <= len(w) <= 4 and all(NAME_WORD.match(x) for x in w))
    if shaped / len(values) < MATCH_SHARE:
        return False
    known = sum(1 for w in words if any(x.rstrip(".").lower() in _KNOWN_NAMES for x in w))
    return known / len(values) >= 0.3


def _looks_like_text(values: Sequence[str], unique_share: float) -> bool:
    word_counts = np.fromiter((len(v.split()) for v in values), dtype=np.int64, count=len(values))
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    return unique_share > 0.5 and (float(word_counts.mean()) >= 6 or float(lengths.mean()) >= 60)


def detect_pii(column_name: str, values: Sequence[str], unique_share: float) -> str | None:
    """The kind of personal data in a sample of string ``values``, or ``None``."""
    if not values:
        return None
    if _share(values, EMAIL) >= MATCH_SHARE:
        return "email"
    if _share(values, NATIONAL_ID) >= MATCH_SHARE:
        return "national_id"
    if _looks_like_cards(values):
        return "credit_card"
    if _share(values, IPV4) >= MATCH_SHARE:
        return "ip_address"
    if _looks_like_phone(values):
        return "phone"
    if _looks_like_names(column_name, values):
        return "name"
    if _looks_like_text(values, unique_share):
        return "text"
    return None


_CLASS_OF = {
    **dict.fromkeys("0123456789", "9"),
    **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "A"),
    **dict.fromkeys("abcdefghijklmnopqrstuvwxyz", "a"),
}


def value_template(value: str) -> str:
    """The shape of a value: digits become ``9``, letters ``A``/``a``, anything else stays."""
    return "".join(_CLASS_OF.get(ch, ch) for ch in value)
