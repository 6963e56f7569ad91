"""Reading a reply to an ask: what kind it is, why, and whom it names.

Pure: text and headers in, a :class:`Reading` out. No database, clock or network.
Callers may rely on these guarantees:

- ``classify`` always returns exactly one :class:`ReplyClass` and a short ``why``.
- An auto-reply is never anything else: an out-of-office that mentions a colleague's
  phone number is not a referral.
- A carrier opt-out keyword (the whole message is STOP, UNSUBSCRIBE, ...) or clear
  unsubscribe wording is always ``opt_out``, whatever else the message says.
- ``prospects`` is empty for auto-replies, neutral replies and opt-outs that offer nobody
  (nobody is contacted on the strength of them); otherwise it holds whoever
  :func:`extract_prospects` found. An opt-out that also offers someone ("stop texting
  me — my brother Tom needs a quote, 312-555-0177") is still ``opt_out``, with
  ``offers_referral`` set and the people it names, so the referral reaches a person.

The order of the questions, first match wins, and why:

1. **auto_reply** (headers per RFC 3834, then out-of-office wording): a machine wrote
   it, so nothing in it speaks for the client.
2. **opt_out** (carrier keyword, or wording such as "please stop texting me", "No más",
   "remvoe me"; see :mod:`~referral_engine.replies.opt_out`): the law and the client's
   wish come before any opportunity, and it is honored at once.
3. **complaint** (a grievance family: spam or privacy, "how did you get my number";
   nobody got back, "left two voicemails"; treated badly, "hung up on me"; leaving;
   refusing to recommend; a tone-deaf ask; too many messages; billing, fees, price rises
   and claim delays; a sentence about our service with a grievance in it, "you guys
   took forever"; a harsh word, "a joke", "rude", unless negated; a sarcastic "great,
   another text"; a milder word, "upset", with a VADER-negative tone in a reply that
   speaks to us; or a hostile VADER tone in a first-person sentence addressed to us):
   an unhappy client must reach a person who repairs the relationship, not one who
   chases the referral; a reply that complains *and* names someone is a complaint.
   Negative words about someone else's agent ("hates her agent") are the referral,
   not a complaint, so sentences about a third party's agent or rates don't count.
4. **hot** (another person's phone or email; a named person; or an unhedged "my sister
   needs a quote" / "can I give him your number?"): a person to call, so it must never
   wait in an inbox.
5. **interested** (positive but no person yet: "let me think who", "I'll ask around",
   "my brother might", questions about the referral program; a hedged hot cue).
6. **neutral**: everything else ("thanks!", "who is this?", questions about their own
   policy, "I don't know anyone right now").
Prospects are people the client names or gives details for (see
:mod:`referral_engine.replies.prospects`); the client's own name and contact details and
the agency's addresses are never prospects.

Where each question is answered, so this module only keeps their order:

- :mod:`~referral_engine.replies.body`: the newest reply in an email; auto-replies.
- :mod:`~referral_engine.replies.opt_out`: carrier keywords and opt-out wording.
- :mod:`~referral_engine.replies.complaints`: complaint cues.
- :mod:`~referral_engine.replies.offers`: hot and interested cues.
- :mod:`~referral_engine.replies.prospects`: names, phones, emails and companies.
- :mod:`~referral_engine.replies.reading`: the result types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from referral_engine.replies.body import is_auto_reply, strip_quoted
from referral_engine.replies.complaints import complaint
from referral_engine.replies.offers import (
    named_as_referral,
    open_to_it,
    someone_needs,
    warm_about_referring,
)
from referral_engine.replies.opt_out import (
    HELP_WORDS,
    OPT_IN_WORDS,
    OPT_OUT_WORDS,
    asks_to_stop,
    keyword,
)
from referral_engine.replies.prospects import describe, extract_prospects
from referral_engine.replies.reading import Prospect, Reading, ReplyClass
from referral_engine.replies.text import sentiment

__all__ = [
    "HELP_WORDS",
    "OPT_IN_WORDS",
    "OPT_OUT_WORDS",
    "Prospect",
    "Reading",
    "ReplyClass",
    "classify",
    "extract_prospects",
    "is_auto_reply",
    "keyword",
    "strip_quoted",
]


def classify(
    text: str,
    *,
    headers: Mapping[str, str] | None = None,
    region: str = "US",
    client_name: str | None = None,
    agency_domains: Sequence[str] = (),
) -> Reading:
    """Read one reply; see the module docstring for the order of the questions."""
    body = strip_quoted(text)
    tone = sentiment(body)
    if is_auto_reply(headers or {}, body):
        return Reading(ReplyClass.auto_reply, "automatic reply", (), tone)
    if keyword(body) == "opt_out":
        return Reading(ReplyClass.opt_out, f"opt-out keyword {body.strip()!r}", (), tone)
    prospects = extract_prospects(
        body, region=region, client_name=client_name, agency_domains=agency_domains
    )
    if stop := asks_to_stop(body):
        # "Stop texting me. My brother Tom needs a quote, 312-555-0177": the client is
        # opted out, and the person they name still reaches a producer.
        referral = _referral(body, prospects)
        if referral is None:
            return Reading(ReplyClass.opt_out, f"asks to stop: {stop!r}", (), tone)
        why = f"asks to stop: {stop!r}; and {referral.why}"
        return Reading(ReplyClass.opt_out, why, referral.prospects, tone, offers_referral=True)
    if grievance := complaint(body, tone):
        return Reading(ReplyClass.complaint, grievance, prospects, tone)
    if offer := _referral(body, prospects):
        return Reading(ReplyClass.hot, offer.why, offer.prospects, tone)
    hot, hedged = someone_needs(body)
    if hedged:
        return Reading(ReplyClass.interested, f"maybe someone: {hedged!r}", prospects, tone)
    if words := open_to_it(body):
        return Reading(ReplyClass.interested, f"open to it: {words!r}", prospects, tone)
    if warm_about_referring(body, tone):
        return Reading(ReplyClass.interested, "warm about referring", (), tone)
    if (found := keyword(body)) in ("help", "opt_in"):
        return Reading(ReplyClass.neutral, f"{found} keyword", (), tone)
    return Reading(ReplyClass.neutral, "no referral, opt-out or complaint", (), tone)


def _referral(body: str, prospects: Sequence[Prospect]) -> Reading | None:
    """The hot reading of ``body``, when it offers or names someone to call."""
    hot, hedged = someone_needs(body)
    reachable = [p for p in prospects if p.mobile or p.email]
    named = [p for p in prospects if named_as_referral(body, p)]
    if reachable or (named and (hot or not hedged)):
        verb = "gives contact details" if reachable else "names another person"
        who = "; ".join(describe(p) for p in (reachable or named))
        return Reading(ReplyClass.hot, f"{verb}: {who}", tuple(prospects))
    if hot:
        return Reading(ReplyClass.hot, f"offers someone: {hot!r}", tuple(prospects))
    return None
