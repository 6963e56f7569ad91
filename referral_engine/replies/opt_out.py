"""Opting out: carrier keywords, and any other wording that asks us to stop (FCC 24-24).

Pure: text in, an answer out. Callers may rely on these guarantees:

- :func:`keyword` is ``"opt_out"`` only when the whole message is one of the carrier's
  opt-out keywords (Twilio's defaults: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
  REVOKE, OPTOUT). Twilio acts on those words by itself and sends its own confirmation.
- :func:`asks_to_stop` returns the words with which a message revokes consent, or None.
  The law counts the seven words (stop, quit, end, revoke, opt out, cancel, unsubscribe)
  and anything a reasonable person would read as "stop messaging me". Read as opt-out:

  1. a clause that is nothing but a command to stop, with fillers around it: "Who is
     this? Stop.", "I'm not interested, stop", "k stop", "End this please", "basta ya";
  2. the seven words where they aim at our messages: "Cancel these messages", "please
     end these texts", "revoke my consent", "I want to opt out", "quit sending";
  3. plain phrasings: "no more texts", "take me off", "don't contact me again", "lose my
     number", "leave me alone", "wrong number", "I never signed up for this";
  4. Spanish: "No más", "no mas mensajes", "basta", "cancelar", "alto", "ya no me manden
     mensajes", "dejen de mandarme mensajes", "darme de baja".

  Misspellings are read as the word they miss ("stpo", "unsubscibe", "opt oot", "stop
  txting me", "remvoe me"): :func:`normalize` corrects near-misses of the words the rules
  read with rapidfuzz's optimal string alignment distance (a swap of two neighbouring
  letters counts one edit). Four-letter words may only have two letters swapped, since
  one edit away from "stop" are "step" and "shop".

  The same words in another sense stay what they are: "I'll stop by Tuesday", "the end
  of the month works", "we had to cancel the old policy", "quit my job", "can't stop
  thinking how easy this was", "can I opt out of roadside?", "take me off the auto
  policy", "don't stop sending the tips".
- :func:`revoked_channels` says which channels a revocation covers: those its sentences
  name ("stop emailing me": email; "no more texts": SMS; "stop all texts and emails":
  both); with no channel named, everything when it says so ("stop all messages", "don't
  contact me at all", "unsubscribe me from everything"), else the channel it came on.

A false opt-out costs a referral ask; a missed one breaks the law, so where the two
readings are close the rules lean to opt-out. How well they read new wording is measured
on ``tests/data/opt_outs.jsonl`` (see ``tests/replies/test_opt_out_set.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from rapidfuzz.distance import OSA

from referral_engine.replies.text import any_of, rx

OPT_OUT_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
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


# -- reading misspellings ----------------------------------------------------------------

# The words the rules below read, which a misspelling is corrected to.
_VOCABULARY = (
    "unsubscribe",
    "remove",
    "texting",
    "cancel",
    "revoke",
    "messages",
    "message",
    "messaging",
    "emailing",
    "contacting",
    "contact",
    "sending",
    "please",
    "number",
    "anymore",
    "interested",
    "mensajes",
    "stop",
    "quit",
    "optout",
)
# Shorthand, read as the word it stands for.
_SHORTHAND = {
    "txt": "text",
    "txts": "texts",
    "txting": "texting",
    "txted": "texted",
    "msg": "message",
    "msgs": "messages",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "dont": "don't",
    "unsub": "unsubscribe",
    "msj": "mensaje",
    "msjs": "mensajes",
}
# Real words one edit away from a word above: never "corrected".
_REAL_WORDS = frozenset(
    {
        "cancer",
        "canceled",
        "cancels",
        "contract",
        "contacts",
        "ending",
        "lending",
        "mending",
        "pending",
        "spending",
        "tending",
        "testing",
        "resting",
        "tenting",
        "texas",
        "remote",
        "massages",
        "passages",
        "pleased",
        "pleases",
        "numbers",
        "stops",
        "quits",
        "stoop",
    }
)
_WORD = re.compile(r"[a-z]+")
_OPT_OUT_PAIR = re.compile(r"\b(op[a-z]{0,2})[\s-]+([a-z]{1,4})\b")


def _near(word: str, target: str) -> bool:
    """``word`` is a misspelling of ``target``."""
    if len(target) <= 4:
        # Only a swap ("stpo") or a doubled last letter ("stopp"): other single edits of
        # a four-letter word are real words ("step", "shop", "quiet").
        swapped = sorted(word) == sorted(target) and OSA.distance(word, target) == 1
        return swapped or (word[:-1] == target and word[-1] == word[-2])
    if word[0] != target[0] and OSA.distance(word[:2], target[:2]) != 1:
        return False
    return OSA.distance(word, target) <= (2 if len(target) >= 9 else 1)


def _correct(word: str) -> str:
    if word in _SHORTHAND:
        return _SHORTHAND[word]
    if len(word) < 4 or word in _REAL_WORDS or word in _VOCABULARY:
        return word
    for target in _VOCABULARY:
        if abs(len(word) - len(target)) <= 2 and _near(word, target):
            return "opt out" if target == "optout" else target
    return word


def _opt_out_pair(match: re.Match[str]) -> str:
    joined = match.group(1) + match.group(2)
    return "opt out" if OSA.distance(joined, "optout") <= 1 else match.group()


def normalize(text: str) -> str:
    """Lower case without accents, straight apostrophes, letter runs of three or more cut
    to one ("stoooop"), shorthand spelled out ("txt", "pls") and near-misses of the words
    the rules read corrected ("stpo", "unsubscibe", "opt oot", "remvoe")."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    folded = folded.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    folded = re.sub(r"([a-z])\1{2,}", r"\1", folded)
    folded = _OPT_OUT_PAIR.sub(_opt_out_pair, folded)
    return _WORD.sub(lambda m: _correct(m.group()), folded)


# -- a clause that is nothing but "stop" -------------------------------------------------

_FILLER = (
    r"ok|okay|k|kk|please|just|so|hey|hi|hello|um|uh|ugh|again|seriously|now|i said|no|nope|"
    r"thanks|thank you|no thanks|no thank you|(?:i'?m |i am )?not interested|sorry|oh|omg|"
    r"dude|lol|and|then|guys|yo|sir|maam|por favor|ya|gracias|no gracias|well|alright|"
    r"already|asap|immediately|right now|for real|for good|permanently|forever|thx|ty|"
    r"man|it'?s|this is|you"
)
_COMMAND = (
    r"stop|stop ?all|stop (?:it|this|these|them|now)|quit|quit it|end|end (?:it|this|these)|"
    r"cancel|cancel (?:it|this|these|me)|unsubscribe|unsubscribe me|revoke|opt out|"
    r"opt me out|remove|remove me|no more|enough|basta|alto|no mas|cancelar|parar|detener"
)
_ONLY_A_COMMAND = rx(rf"^(?:(?:{_FILLER})\s+)*(?:{_COMMAND})(?:\s+(?:{_FILLER}))*$")
_CLAUSE_BREAK = re.compile(r"[.,;:!?\u00a1\u00bf\n()\"*]+|\s+[-\u2013\u2014]+\s+|\s*\bbut\b\s*")


def _bare_command(text: str) -> str | None:
    for clause in _CLAUSE_BREAK.split(text):
        clause = " ".join(clause.split())
        if clause and _ONLY_A_COMMAND.match(clause):
            return clause
    return None


# -- wording anywhere in the message -----------------------------------------------------

_OUR_MESSAGES = (
    r"(?:texting|texts?|messaging|messages?|e-?mail(?:s|ing)?|mail(?:s|ing)?|contacting|"
    r"calling|calls|bugging|bothering|spamming|spam|harassing|pestering|"
    r"notifications?|alerts?|solicitations?|subscriptions?|asks|requests|reminders|"
    r"marketing|promotions?|hitting (?:me|us) up|reaching out|writing)"
)
_NOT_BEFORE = rx(
    r"\b(?:don'?t|do not|never|can'?t|cannot|won'?t|wouldn'?t|couldn'?t|shouldn'?t|"
    r"didn'?t)\s+(?:\w+\s+)?$"
)
# What follows "take me off", "opt out of" or "never asked for" when it is about a policy,
# not our messages.
_ABOUT_A_POLICY = rx(
    r"^\s*(?:off|out|from|for|to)?\s*(?:of\s+)?(?:the|my|our|this|his|her|their|that|a|an)?\s*"
    r"(?:[\w'-]+\s+){0,2}(?:policy|policies|account|plan|coverage|insurance|title|lease|comp|"
    r"loan|card|registration|car|truck|vehicle|auto|home|house|roadside|rental|"
    r"reimbursement|add-?on|umbrella|endorsement|deductible|assistance|renewal|option)\b"
)
_WORDING = any_of(
    # the seven words aimed at our messages
    rf"\b(?:stop|quit|cease|end|cancel|discontinue|halt)\s+(?:(?:all|the|these|those|this|"
    rf"your|any|of|with|me|my|future|further|referral|marketing|automated)\s+){{0,3}}"
    rf"{_OUR_MESSAGES}\b",
    rf"\b(?:stop|quit|cease)\s+(?:sending|getting)(?:\s+(?:me|us))?(?:\s+(?:all|the|these|"
    rf"those|this|that|your|any|such|more|referral|marketing))*\s*(?:(?:{_OUR_MESSAGES}|it|"
    rf"them|these|this|stuff|things|crap|junk)\b|[.!?,;]|$)",
    r"\b(?:please|just|so|you|y'?all|guys|now|i said)\s+stop(?:\s+(?:it|this|these|them|now|"
    r"already|please|immediately|asap))*\s*(?:[.!?,;]|$)",
    r"\bunsubscribe\b",
    r"\bopt(?:ing|ed)?[\s-]*(?:me\s+|us\s+)?out\b",
    r"\brevok(?:e|ing|ed)\s+(?:\w+\s+){0,2}(?:consent|permission|authori[sz]ation|opt-?in|"
    r"agreement)\b|\b(?:consent|permission)\s+(?:is\s+)?revoked\b|\bi (?:hereby )?revoke\b",
    # plain phrasings
    r"\b(?:remove|delete|drop|erase|take)\s+(?:me|us|my (?:number|name|e-?mail|info|"
    r"information|details|contact info)|this (?:number|e-?mail|address|phone)|"
    r"our (?:number|e-?mail|info))\s+(?:off|out|from)\b",
    r"\b(?:remove|delete|erase)\s+(?:me|us)\b",
    r"\boff (?:of\s+)?(?:your|this|the|all|every|any|ur)\s+(?:[\w-]+\s+)?"
    r"(?:list|lists|database|system)\b",
    r"\b(?:don't|do not|never|no longer)\s+(?:ever\s+|again\s+|please\s+)?(?:text|contact|"
    r"e-?mail|message|call|write to|send|bother|bug)(?:ing)?\s+(?:to\s+)?(?:me|us|this "
    r"(?:number|e-?mail|address|phone))\b",
    r"\b(?:don't|do not|never)\s+(?:ever\s+)?reach out\b",
    r"\b(?:don't|do not|never)\s+(?:ever\s+)?send\s+(?:me\s+|us\s+)?(?:any\s*more|these|"
    r"this|those|anything|more|another)\b",
    r"\b(?:don't|do not|no longer|never)\s+(?:want|wish|need|like)\s+(?:to\s+(?:receive|"
    r"get|be sent)\s+)?(?:(?:any\s*more|any|these|those|your|more|the|such)\s+)?"
    r"(?:[\w-]+\s+)?(?:texts?|messages?|e-?mails?|calls|asks|requests|solicitations|"
    r"marketing|contact)\b",
    r"\b(?:don't|do not|no longer)\s+(?:wish|want)\s+to\s+be\s+(?:contacted|texted|"
    r"e-?mailed|messaged|called|bothered)\b",
    r"\b(?:rather|prefer(?:red)?)\s+not\s+(?:to\s+)?(?:get|receive|be contacted|be texted|"
    r"hear)\b",
    r"\bno (?:more|further)\s+(?:[\w-]+\s+)?(?:texts?|messages?|e-?mails?|contact|calls|"
    r"spam|solicitations?|asks|requests|reminders|marketing|of (?:this|these|that|those|"
    r"them))\b",
    r"\b(?:lose|delete|erase|forget|remove|drop|toss)\s+(?:my|this|our)\s+(?:number|"
    r"e-?mail(?: address)?|info|information|data|details|contact(?: info)?)\b",
    r"\bleave (?:me|us) alone\b",
    r"\bwrong (?:number|person|#)\b",
    r"\b(?:enough|sick|tired|done|fed up)\s+(?:of|with)\s+(?:all\s+)?(?:the|these|your|"
    r"those|this|all)\s+(?:[\w-]+\s+)?(?:texts?|messages?|e-?mails?|spam|calls)\b",
    r"\bnever (?:signed up|agreed|opted in|consented|asked)\b",
    # Spanish
    r"\bno mas\s+(?:[\w-]+\s+)?(?:mensajes?|textos?|correos?|e-?mails?|llamadas)\b",
    r"\bno\s+(?:me|nos)\s+(?:\w+\s+)?(?:manden|mande|mandes|envien|envie|envies|escriban|"
    r"escriba|contacten|contacte|llamen|molesten|moleste)\b",
    r"\bdej(?:en|a|e)\s+de\s+(?:\w+\s+)?(?:mandar|enviar|escribir|molestar|contactar|"
    r"llamar|textear)",
    r"\bno\s+quiero\s+(?:(?:recibir|mas|sus|estos|ningun)\s+)*(?:mensajes?|textos?|"
    r"correos?|llamadas)\b",
    r"\b(?:dar(?:me)?|den(?:me)?)\s+de\s+baja\b",
    r"\b(?:borr|quit|elimin)(?:ar|en|e)(?:me)?\s+(?:mi\s+(?:numero|correo)|de\s+"
    r"(?:la|su|sus)\s+lista)",
)


def _wording(text: str) -> Iterator[re.Match[str]]:
    """Every opt-out phrase in normalized text that is neither negated ("don't stop
    sending") nor about a policy ("take me off the auto policy")."""
    for match in _WORDING.finditer(text):
        if _NOT_BEFORE.search(text[max(0, match.start() - 24) : match.start()]):
            continue
        if re.search(r"\b(?:take|opt\w*|never)\b", match.group()) and _ABOUT_A_POLICY.match(
            text[match.end() :]
        ):
            continue
        yield match


def asks_to_stop(text: str) -> str | None:
    """The wording with which the text asks us to stop contacting them, if any."""
    normal = normalize(text)
    found = next(_wording(normal), None)
    if found is not None:
        return found.group()
    return _bare_command(normal)


# -- which channels ----------------------------------------------------------------------

_SMS = rx(r"\b(?:texts?|texting|texted|sms|mms|phone|cell|number|mobile|textos?|whatsapp)\b")
_EMAIL = rx(r"\be-?mail(?:s|ing|ed)?\b|\bmailing\b|\binbox\b|\bnewsletters?\b|\bcorreos?\b")
_EVERYTHING = rx(
    r"\bstop ?all\b|\ball\b|\bany\s*(?:more\s+)?(?:contact|communications?)\b|\bat all\b|"
    r"\bevery(?:thing|\s+\w+)?\b|\bcontact(?:ing|ed)?\b|\breach(?:ing)? out\b|"
    r"\bleave (?:me|us) alone\b|\btodo\b|\bnada\b"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def revoked_channels(text: str, *, arrived_on: str) -> frozenset[str]:
    """The channels ("sms", "email") a revocation covers; see the module docstring.

    Only the sentences that revoke are read: "Stop texting me. My cousin's email is ..."
    covers texts alone.
    """
    said = [s for s in _SENTENCE.split(normalize(text)) if s.strip() and _revokes(s)]
    named: set[str] = set()
    everything = False
    for sentence in said or [normalize(text)]:
        if _SMS.search(sentence):
            named.add("sms")
        if _EMAIL.search(sentence):
            named.add("email")
        everything = everything or bool(_EVERYTHING.search(sentence))
    if named:
        return frozenset(named)
    return frozenset({"sms", "email"}) if everything else frozenset({arrived_on})


def _revokes(normal: str) -> bool:
    return (
        keyword(normal) == "opt_out"
        or next(_wording(normal), None) is not None
        or _bare_command(normal) is not None
    )
