"""JSON text read with limits: what a sender may not make the server do.

``json.loads`` alone recurses once per nesting level (a deeply nested body raises
RecursionError), turns a 4,300-digit number into a ValueError that is not a
JSONDecodeError, and reads ``NaN``, ``Infinity`` and ``1e999`` as floats no column can hold.
:func:`loads` turns each of those into :class:`JsonRefused` with a reason a person can
act on; everything else is plain ``json.loads``.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
"""Nesting of objects and arrays; a canonical event needs 4."""
MAX_INT_DIGITS = 19
"""Digits of an integer: every integer the product stores fits a 64-bit column."""


class JsonRefused(ValueError):
    """The text is not JSON this service reads; the message says why."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonRefused(f"a number of {len(text.lstrip('-'))} digits; at most {MAX_INT_DIGITS}")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:40]} is too large")
    return value


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def depth(value: Any) -> int:
    """How deeply objects and arrays nest in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``text``; raises :class:`JsonRefused` (a ValueError) with the reason."""
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except JsonRefused:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    except RecursionError as exc:
        raise JsonRefused(f"nested more than {max_depth} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonRefused(f"not valid JSON: {exc}") from exc
    if depth(value) > max_depth:
        raise JsonRefused(f"nested more than {max_depth} levels deep")
    return value
