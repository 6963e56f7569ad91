"""Opting out: carrier keywords (the whole message is STOP, START, HELP ...) and wording.

Pure. A keyword is what a carrier acts on by itself; wording ("please stop texting me")
is how a client says the same in a sentence, and is honored just as surely.
"""

from __future__ import annotations

import unicodedata

from referral_engine.replies.text import any_of

OPT_OUT_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")
OPT_IN_WORDS = ("START", "UNSTOP", "YES")
HELP_WORDS = ("HELP", "INFO")


def keyword(text: str, *, expecting_opt_in: bool = False) -> str | None:
    """ "opt_out", "opt_in", "help" or None, when the whole message is one keyword.

    As carriers match: trimmed, case-insensitive, trailing punctuation ignored. "YES"
    opts in only when the last message asked for a yes to opt in.
    """
    word = text.strip()
    while word and (unicodedata.category(word[-1]).startswith("P") or word[-1].isspace()):
        word = word[:-1]
    word = word.upper()
    if word in OPT_OUT_WORDS:
        return "opt_out"
    if word in OPT_IN_WORDS and (word != "YES" or expecting_opt_in):
        return "opt_in"
    if word in HELP_WORDS:
        return "help"
    return None


_OPT_OUT_WORDING = any_of(
    r"^\W*(?:stop|stopall|unsubscribe|unsub)\b(?!\s+by)(?:\W+\w+){0,4}\W*$",  # "stop please"
    r"\b(?:stop|quit|cease)\s+(?:\w+\s+)?(?:texting|messaging|e-?mailing|contacting|calling|"
    r"sending|bugging|bothering)\b",
    r"\b(?:please|pls|plz)\s+stop\b(?!\s+by)",
    r"\bremove me\b|\bremove (?:my|our|this) (?:number|e-?mail|info|name|address)\b",
    r"\btake me off\b",
    r"\boff (?:your|this|the) (?:\w+ )?list\b",
    r"\bunsub(?:scribe)?\b",
    r"\bopt(?:ing)?[- ]?(?:me\s+)?out\b",
    r"\b(?:do ?n[o']?t|do not|never)\s+(?:text|contact|e-?mail|message|call)(?:ing)?\s+"
    r"(?:me|us|this (?:number|e-?mail|address))\b",
    r"\bno more (?:texts|text messages|messages|e-?mails)\b",
    r"\b(?:lose|delete|erase) my (?:number|e-?mail|info|information|data|details)\b",
    r"\bleave me alone\b",
)


def asks_to_stop(text: str) -> str | None:
    """The wording with which the text asks us to stop contacting them, if any."""
    match = _OPT_OUT_WORDING.search(text)
    return match.group() if match else None
