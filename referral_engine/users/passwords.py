"""The password policy: what a new password must be, and the reason when it is not.

A password is accepted when

1. it has at least 12 characters: any length-12 string of random characters, or a
   passphrase of four or more ordinary words ("plum kettle harbor sky", spaces or
   hyphens between them), which always gets there and is easier to remember; and
2. it is not one of the 10,000 most common passwords (zxcvbn's frequency list, compared
   ignoring case and spaces), so "qwerty123456" and "leavemealone" are refused.

The questions are asked in that order and the first broken rule is the message. Pure:
no database, no clock.
"""

from __future__ import annotations

import re
from functools import cache

MIN_LENGTH = 12
COMMON_COUNT = 10_000

RULE = (
    f"at least {MIN_LENGTH} characters (a passphrase of four or more words is the easy "
    f"way), and not one of the {COMMON_COUNT:,} most common passwords"
)


class WeakPassword(ValueError):
    """A password the policy refuses; the message names the rule it broke."""


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_COUNT])


def is_common(password: str) -> bool:
    """One of the 10,000 most common passwords (ignoring case and spaces)."""
    return re.sub(r"\s+", "", password).lower() in _common()


def check_password(password: str) -> None:
    """Return quietly when the policy accepts ``password``; else raise
    :class:`WeakPassword` whose message says which rule it broke."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"The password is too short: use at least {MIN_LENGTH} characters, "
            "for example a passphrase of four or more words."
        )
    if is_common(password):
        raise WeakPassword(
            f"That password is one of the {COMMON_COUNT:,} most common passwords: "
            "choose one nobody would guess."
        )
