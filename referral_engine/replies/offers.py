"""Does a reply offer someone? The cues for hot (a person now) and interested (maybe later).

Pure. A hot reply names or describes a person who needs insurance, or hands our number
to them; a hedge ("might", "let me check") makes the same offer merely interested.
"""

from __future__ import annotations

from referral_engine.replies.prospects import RELATION
from referral_engine.replies.reading import Prospect
from referral_engine.replies.text import NOT, any_of, clauses, rx, sentences

_NEED = any_of(
    r"\b(?:needs?|needed|could use|wants?|interested)\b",
    r"\b(?:looking for|is looking|are looking|shopping|paying too much)\b",
    r"\b(?:bought|buying|closed on|closing on|moving|moved|started|starting|opened|opening)\b",
    r"\b(?:was |were |is |been )?ask(?:ing|ed) (?:me )?about\b",
    r"\b(?:unhappy with|hates?)\b",
    r"\b(?:complain|grip|whin|moan)(?:e|es|ing|ed)? about (?:his|her|their)\b",
    r"\b(?:dropp(?:ing|ed)|cancell?(?:ing|ed)|non-?renew(?:ing|ed)) (?:him|her|them)\b",
    r"\b(?:got|gets|getting) (?:a|her|his|their) (?:first |new )?(?:car|truck|house|home|"
    r"license|boat|apartment|place)\b",
)
_SUBJECT = any_of(
    RELATION,
    r"\bi (?:do )?know (?:someone|somebody|a (?:guy|lady|couple|family|business))",
    r"\bi have (?:a|an) (?:friend|client|buddy|neighbou?r|coworker|guy)",
    r"\b(?:a few|some|a couple(?: of)?|several) (?:people|folks|contacts|businesses)\b",
)
_HANDOFF = any_of(
    r"\b(?:give|gave|pass(?:ed)?|sen[dt]|forward(?:ed)?|share[d]?)\s+(?:him|her|them)\s+"
    r"(?:your|ur)\s+(?:number|#|info|e-?mail|card|contact|name)",
    r"\b(?:give|gave|pass(?:ed)?|sen[dt]|forward(?:ed)?)\s+(?:your|ur)\s+(?:number|#|info|"
    r"e-?mail|card|contact)\s+(?:to|along to|with)\b",
    r"\b(?:have|had|tell|told|ask|asked)\s+(?:him|her|them)\s+(?:to\s+)?(?:call|text|e-?mail|"
    r"contact|reach out|hit (?:you|u) up|get in touch)",
    r"\b(?:he|she|they)(?:'ll| will| is going to| wants to)(?:\s+be)?\s+(?:call|text|e-?mail|"
    r"contact|reach(?:ing)? out to|hit)(?:ing)?\s+(?:you|u)\b",
    r"\b(?:you|u) (?:can|could|should) (?:call|text|e-?mail|contact|reach out to|reach) "
    r"(?:him|her|them)\b",
    r"\bgive (?:him|her|them) a (?:call|ring|shout)\b",
    r"\b(?:can|could|should|may) (?:he|she|they) (?:call|text|e-?mail|contact|reach out to) "
    r"(?:you|u)\b",
    r"\bwant (?:his|her|their) (?:number|e-?mail|info|contact|cell|details)\b",
    r"\bfeel free to (?:call|text|e-?mail|contact|reach out)\b",
    r"\bexpect (?:a|his|her|their) call\b",
    r"\b(?:send|sent|sending|refer|referring)\s+(?:him|her|them)\s+(?:your way|over|to you)",
    r"\b(?:text|send|e-?mail|give)\s+(?:you|u)\s+(?:his|her|their)\s+(?:info|number|contact|"
    r"e-?mail|details)",
    r"\b(?:introduce|connect)\s+(?:you|u)\b|\bput (?:you|u) in touch\b",
)
_ANYONE = rx(r"\b(?:them|they)\b")
_HEDGE = rx(
    r"\b(?:might|may|maybe|possibly|perhaps|probably|not sure|someday|eventually|later|"
    r"(?<!asked )(?<!asked me )(?<!wondering )(?<!wondered )if|"
    r"at some point|down the road|let me|i'?ll (?:check|ask|see|find out|talk)|"
    r"let (?:you|u) know (?:when|once))\b"
)
# "Possibly. My daughter is moving out next year": an opening hedge covers the whole reply.
_HEDGED_OPENER = rx(r"^\W*(?:maybe|possibly|perhaps|probably|not sure)\b(?!\W+not\b)")
# "... were complaining about their rates. I'll see if they're interested": a sentence
# that defers to them ("I'll ask her") takes back the offer, as a hedge in it would.
_DEFERRAL = rx(
    r"\b(?:i'?ll|i will|let me|gonna) (?:see|check|ask|find out)\b[^.!?]*"
    r"\b(?:he|she|they|him|her|them)\b"
)
_NEGATED_NEED = rx(rf"{NOT}|\b(?:none|no ?one|nobody|neither)\b")
# "we need to add him to our policy" is the client's own policy, not an introduction.
_OWN_POLICY = rx(r"\b(?:my|our)\s+(?:\w+\s+)?(?:policy|policies|coverage|plan)\b")
_NO_ONE = any_of(
    r"\b(?:do ?n'?t|do not) know (?:anyone|anybody)",
    r"\bcan'?t think of\b",
    r"\bnot that i\b",
    r"\b(?:no ?one|nobody) comes to mind\b",
    r"\beveryone i know\b",
    r"\balready (?:with|have|has|got)\b",
    r"\bnot interested\b",
    r"\bno thanks?\b",
)
_INTERESTED = any_of(
    r"\blet me think\b|\bthink (?:about|on) (?:it|who|that)\b",
    r"(?<!n't )(?<!not )\b(?:can|could|will|i'?ll) think of (?:someone|somebody|a few|some)",
    r"\b(?:might|may) know (?:someone|somebody|some|a (?:few|couple|guy))\b",
    r"\bask around\b|\bget back to (?:you|u|ya|y'?all)\b|\bwill do\b|\bbrainstorm\b",
    r"\b(?:link|form|card|flyer|something) (?:that )?i (?:can|could) (?:send|forward|share|give)\b",
    r"\bgive me (?:a few days|some time|a (?:day|week|bit))\b",
    r"\bkeep (?:you|u|y'?all|it|that|this) in mind\b",
    r"\bkeep (?:an eye|my eyes|my ears) (?:out|open)\b",
    r"\b(?:let you know|spread the word|mention you)\b|\b(?:put|get|spread) the word out\b",
    r"\bpass (?:along )?(?:it|this|that|your \w+)(?: along| on)?\b",
    r"\bsend (?:people|folks|friends|anyone|some(?:one|body)|business) (?:your|ur) way\b",
    r"\bhappy to(?: help| refer| share| pass)?(?: out)?(?: (?:where|if|however|any ?way) i "
    r"can)?(?=\s*[.!,]|\s*$)",
    _HEDGED_OPENER.pattern,
    r"\b(?:post|share|put)\s+(?:something|it|this|a (?:link|post|note)|your (?:\w+ )?(?:info|"
    r"card|link|number))\s+(?:in|on)\s+(?:our|my|the)\b",
    r"\b(?:i'?ll|will|i will)\s+(?:\w+\s+)?(?:think of|remember|recommend) (?:you|u|y'?all)\b",
    r"\bi (?:have|know) (?:a few|some|a couple(?: of)?|several) (?:contacts|people|folks|"
    r"friends|businesses|guys)\b",
    r"\bsend me (?:a|the|your) (?:link|card|info)\b",
    # Questions about the referral program or whom to refer.
    r"\bwhat do (?:they|i|we) get\b|\bwhat'?s in it for\b",
    r"\b(?:do|would|will|can|could) (?:i|we) get (?:anything|something|a (?:bonus|reward|"
    r"gift|discount|credit))\b|\bis there (?:a|any) (?:bonus|reward|incentive)\b",
    r"\breferral (?:bonus|reward|program|fee|gift|thing)\b",
    r"\bfor (?:a |each |any )?(?:referrals?|referring)\b",
    r"\bhow does (?:it|this|that|the referral(?: \w+)?) work\b",
    r"\bwho (?:do|can|would|should) (?:you|u|y'?all) (?:usually |typically |normally )?"
    r"(?:help|work with|insure|cover|want|take)\b",
    r"\bwhat (?:kinds?|types?|sorts?) of (?:clients|people|businesses|customers|referrals)\b",
    r"\bdo (?:they|referrals) (?:have|need) to be\b",
)
_AFFIRMATION = rx(
    r"^\W*(?:yes|yeah|yep|yup|sure|absolutely|definitely|of course|for sure|happy to|you bet)"
    r"[\s\W]*$"
)
_PRAISE_FOR_REFERRING = rx(
    r"\b(?:refer|recommend)\w*|\btell (?:my|all my|people|everyone|friends|others)\b"
)
# A name alone is a referral only next to a need, a hand-off or a "talk to"/"her name is".
_REFERRAL_CONTEXT = any_of(
    _NEED.pattern,
    _HANDOFF.pattern,
    r"\b(?:talk(?:ing)? to|speak (?:to|with)|reach out|call|text|contact|e-?mail|"
    r"get in touch|name is|name's|named|goes by)\b",
)


def someone_needs(text: str) -> tuple[str | None, str | None]:
    """(hot cue, hedged cue): a clause where the client offers someone, plainly or not."""
    hot = hedged = None
    hedged_reply = _HEDGED_OPENER.search(text) or _DEFERRAL.search(text)
    for sentence in sentences(text):
        # A hedge anywhere in the sentence ("..., let me find out if he's still looking")
        # takes back the offer; a negation only cancels its own clause.
        hedge = _HEDGE.search(sentence) or hedged_reply
        for clause in clauses(sentence):
            subject = _SUBJECT.search(clause)
            need = subject and _NEED.search(clause, subject.end())
            handoff = _HANDOFF.search(clause)
            if (
                need
                and not handoff
                and (_NEGATED_NEED.search(clause[: need.start()]) or _OWN_POLICY.search(clause))
            ):
                continue
            # "just have them text you?" hands off nobody unless someone was mentioned.
            if (
                handoff
                and not need
                and _ANYONE.search(handoff.group())
                and not _SUBJECT.search(text)
            ):
                hedged = hedged or clause
            elif (need or handoff) and not hedge:
                hot = hot or clause
            elif (need or handoff or subject) and hedge:
                # "my brother might": a person in mind, but not yet offered.
                hedged = hedged or clause
    return hot, hedged


def named_as_referral(text: str, prospect: Prospect) -> bool:
    if not prospect.first_name:
        return False
    return any(
        prospect.first_name in sentence and _REFERRAL_CONTEXT.search(sentence)
        for sentence in sentences(text)
    )


def open_to_it(text: str) -> str | None:
    """The words with which the text says yes to the ask without naming anyone yet."""
    match = _INTERESTED.search(text) or _AFFIRMATION.search(text)
    return match.group().strip() if match else None


def warm_about_referring(text: str, tone: float) -> bool:
    """A warm reply ("I always recommend you!") that doesn't also say they know nobody."""
    return tone >= 0.4 and bool(_PRAISE_FOR_REFERRING.search(text)) and not _NO_ONE.search(text)
