"""Fake identities that hold together within a row: offline, vectorised, several locales.

    >>> import numpy as np
    >>> from datatwin.identity import identities
    >>> rows = identities(["name", "email", "iban"], 3, np.random.default_rng(0), locale="nb_NO")

Names follow the row's gender; e-mails and usernames are built from the row's own name;
phone numbers use the locale's national format, in ranges kept for fiction where the country
has them; street, city, region and postcode agree; IBANs pass the mod-97 test and card numbers
the Luhn test; national ids have their format's check digits and agree with the row's birth
date and gender. Everything comes from lists bundled in ``data/`` (compiled for datatwin; no
real person's record) and from the generator passed in, never from the network or the clock.

:data:`FIELDS` lists the fields, :data:`LOCALES` the locales; :func:`identities` makes rows.
"""

from __future__ import annotations

from datatwin.identity.generate import FIELDS, LOCALES, identities

__all__ = ["FIELDS", "LOCALES", "identities"]
