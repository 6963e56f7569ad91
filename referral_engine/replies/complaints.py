"""Is a reply a complaint? The grievance families, and when a harsh word counts.

Pure. A complaint is answered by a person who repairs the relationship, so this question
comes before any referral: see :mod:`referral_engine.replies.classify` for the order.

Three kinds of evidence, tried in this order:

1. A grievance family in the whole message whose wording is about the client by
   construction ("charged me twice", "hung up on me", "how did you get my number").
2. Per sentence, skipping sentences about someone else's agent or rates (that unhappiness
   is the referral): a family that could be about anyone ("rates keep climbing"), a
   grievance next to our service, a harsh word not negated, a sarcastic opener, or a
   mild word with a negative VADER tone in a reply that speaks to us.
3. A clearly negative VADER tone in a sentence that speaks to us in the first person
   ("I've been with you ten years and ...").
"""

from __future__ import annotations

import re

from referral_engine.replies.text import NOT, any_of, rx, sentences, sentiment

_Family = tuple[re.Pattern[str], str]

_NUMBER = r"(?:two|three|four|five|six|seven|eight|nine|ten|several|multiple|many|\d+)"
_PRICE = (
    r"(?:premiums?|rates?|bills?|price|cost|renewal|homeowners|home ?owners|auto|car|renters|"
    r"umbrella|policy|insurance|payments?)"
)
_RISE = (
    r"(?:went up|go(?:es)? up|going up|gone up|increased|jumped|rose|risen|climb\w*|spiked|"
    r"doubled|tripled|skyrocketed|shot up|keeps? (?:going up|climbing|rising|increasing))"
)

# Families whose wording is first-person by construction: searched in the whole message.
_ABOUT_US: tuple[_Family, ...] = (
    (any_of(r"\bspam(?:ming|med|my)?\b", r"\bscam\b"), "calls it spam"),
    (
        any_of(
            r"\bhow did (?:you|u|y'?all) get (?:my|this) (?:number|#|cell|phone|e-?mail|info)",
            r"\b(?:who gave|where did) (?:you|u) (?:get )?(?:my|this)\b",
            r"\bwho (?:shared|sold|passed|handed|leaked|gave out) (?:my|our|this)\b",
            r"\b(?:you|u|y'?all|someone|somebody)\s+(?:\w+\s+)?(?:shared|sold|gave out|passed "
            r"along|leaked|handed out)\s+(?:my|our)\b",
            r"\bgiving out my (?:number|e-?mail|info)",
            r"\b(?:never|didn'?t|did not)\s+(?:give|gave)\s+(?:you\s+)?(?:consent|permission)",
            r"\b(?:never|didn'?t|did not)\s+sign(?:ed)?\s+up\b",
            r"\b(?:never|didn'?t|did not)\s+ask(?:ed)?\s+(?:to be|for)\s+(?:contacted|these|this|"
            r"texts|e-?mails)\b",
            r"\b(?:my|our) (?:personal |private |contact )?(?:info|information|number|e-?mail|"
            r"data|details|address)\b(?:\s+\w+){0,8}\s+without\b",
            r"\bwithout (?:my|our|anyone|any|even) (?:\w+ )?(?:asking|consent|permission|ok|"
            r"okay|approval)\b",
        ),
        "asks how we got their details",
    ),
    (
        any_of(
            r"\b(?:never|haven'?t|didn'?t|hasn'?t)\s+(?:heard|gotten|got|received)\s+"
            r"(?:back|a call back|a response|an answer)",
            r"\b(?:no ?one|nobody)\s+(?:has\s+|ever\s+)?(?:called|calls|got|gets|returns?|"
            r"returned|answered|responded|explained)\b",
            r"\b(?:no ?one|nobody)\s+(?:\w+\s+)?(?:picks? up|answers?|responds?|replies|"
            r"gets? back|follows? up|calls? (?:me |us )?back)\b",
            r"\b(?:no ?one|nobody)(?:\s+\w+){0,3}\s+(?:can|could|would|will|seems? to|seemed to)"
            r"\s+(?:\w+\s+)?(?:explain|tell me|tell us|answer|figure out|know)\b",
            r"\bstill (?:waiting|no (?:answer|response|word|call))",
            r"\bstill (?:do ?n'?t|haven'?t) (?:have|got|gotten|received|heard)",
            rf"\b(?:asked|called|e-?mailed|texted|been on hold|tried|left|sent|written|wrote)\s+"
            rf"(?:\w+\s+){{0,4}}(?:twice|{_NUMBER} times)",
            rf"\b(?:left|sent|made)\s+(?:you\s+)?(?:{_NUMBER}|a bunch of|so many)\s+"
            r"(?:voicemails|messages|e-?mails|calls|texts)\b",
            r"\b(?:how about|maybe)\s+(?:you\s+|someone\s+|somebody\s+|y'?all\s+)?(?:could\s+|"
            r"can\s+|try\s+)?(?:answer|return|respond|reply|get back|fix|look)\w*\s+"
            r"(?:to\s+|into\s+|at\s+)?(?:my|me|our|us)\b",
        ),
        "says nobody got back to them",
    ),
    (
        any_of(
            r"\b(?:hung up on|talked down to|yelled at|snapped at|laughed at|screamed at|"
            r"cursed at|brushed off|blew off|ignored|ghosted|lectured|belittled|insulted)\s+"
            r"(?:me|us|my \w+)\b",
            r"\blike (?:i was|i'?m|we were|we'?re) (?:an idiot|stupid|dumb|a criminal|lying)\b",
            r"\b(?:this is|is this) how (?:you|u|y'?all) treat\b",
            r"\bbe more (?:careful|considerate|respectful|professional|mindful|thoughtful)\b",
            r"\b(?:you|u|y'?all) (?:should|could) have (?:asked|checked|told|called|known)\b",
        ),
        "says we treated them badly",
    ),
    (
        any_of(
            r"\b(?:cancel(?:l?ing)?|drop(?:ping)?|leaving|moving)\s+(?:my|our)\s+(?:\w+\s+)?"
            r"(?:policy|policies|coverage|insurance|business|account)\b",
            r"\b(?:i|we)(?:'m|'re| am| are|'ll| will|'ve| have)?\s+(?:just\s+|already\s+|"
            r"gonna\s+|going to\s+|be\s+)*(?:switch|mov|leav|chang|go|went|gone|left)\w*\s+"
            r"(?:over\s+)?(?:to\s+)?(?:another|a different|a new|different|other)?\s*"
            r"(?:agents?|agenc(?:y|ies)|carriers?|insurers?|companies|elsewhere)\b",
            r"\b(?:moving|taking|switching|transferring|pulling)\s+(?:everything|it all|all of it|"
            r"all (?:my|our) (?:\w+ )?(?:policies|business)|(?:my|our) business)\b",
            r"\b(?:i|we)(?:'m|'re| am| are|'ll| will|'ve| have)?\s+(?:\w+\s+)?switch(?:ing|ed)?\s+"
            r"(?:over\s+)?to\s+(?:(?-i:[A-Z])|(?:an?|another|a different|a new)\s+(?:\w+\s+)?"
            r"(?:company|agency|agent|carrier|insurer)\b)",
            r"\b(?:i'?m|i am|we'?re|we are)\s+(?:so\s+|just\s+|officially\s+|honestly\s+)?done"
            r"(?:\s+with\s+(?:you|u|y'?all|this|your)\b|\s*(?:[.!;]|$))",
        ),
        "says they are leaving",
    ),
    (
        any_of(
            # ... unless it is *to* us: "shopping my boat policy with you too".
            r"\bshop(?:ping)? (?:my|our) (?:policy|policies|insurance|coverage|rates?)\b"
            r"(?!.*\b(?:with|to) (?:you|u|y'?all)\b)",
            r"\bthinking (?:about|of) (?:leaving|switching|cancell?ing|shopping|moving)\b"
            r"(?!.*\b(?:with|to) (?:you|u|y'?all)\b)",
            r"\b(?:get|getting) (?:other|some other|competing) quotes\b",
            r"\b(?:i'?m|i am|we'?re|we are|i'?ve been|we'?ve been)\s+(?:\w+\s+)?(?:looking at|"
            r"looking into|exploring|considering|weighing|checking out|shopping)\s+(?:other|"
            r"different|some other)\s+(?:options|agents?|agenc(?:y|ies)|carriers?|companies|"
            r"insurers?|quotes)\b",
        ),
        "thinks about leaving",
    ),
    (
        any_of(
            r"\b(?:why would i|why should i|not (?:going to|gonna)|won'?t|would(?:n'?t| not)|"
            r"can'?t|cannot|not|never|won'?t be)\s+(?:ever\s+)?(?:refer|recommend)\w*",
            r"\bwhy (?:would|should) (?:i|we|anyone)\s+(?:ever\s+)?(?:send|point|introduce|"
            r"trust)\b",
            r"\bbefore i (?:refer|recommend)\b",
            r"\b(?:not comfortable|uncomfortable|hesitant|reluctant|wouldn'?t feel (?:good|right|"
            r"comfortable))\s+(?:\w+\s+){0,2}(?:sending|referring|recommending|pointing)\b",
        ),
        "refuses to recommend us",
    ),
    (
        any_of(
            r"\band (?:now )?(?:you|u) (?:want|expect) (?:me to (?:refer|send|recommend)|"
            r"referrals)",
            r"\b(?:ask(?:ing)?|want(?:ing)?|expect(?:ing)?)\s+(?:me\s+|us\s+)?(?:for\s+)?"
            r"(?:referrals|favors|a favor|recommendations)\b(?:\s+\w+){0,4}\s+(?:after|while|"
            r"the same (?:week|day|month))\b",
            r"\bbefore (?:you|u|y'?all) (?:ask|want|expect|come asking)\b",
            r"\b(?:until|till|unless)\s+(?:that|this|it|my \w+|the \w+)(?:'s| is| gets?| has "
            r"been)?\s+(?:\w+\s+)?(?:sorted|fixed|resolved|handled|straightened out|taken care)",
        ),
        "finds the ask tone-deaf",
    ),
    (
        any_of(
            r"\benough already\b",
            r"\btoo many (?:texts|messages|e-?mails)\b",
            r"\bwhy do (?:you|u) keep (?:texting|e-?mailing|messaging|calling)\b",
            r"\b(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) (?:text|message|e-?mail)s? "
            r"(?:this|in a) (?:week|month|day)",
            r"\b(?:you|u|y'?all|you guys)\s+(?:\w+\s+)?(?:text|e-?mail|message|call|contact|bug|"
            r"ping)\w*\s+(?:me|us)\s+(?:more than|so much|too much|too often|constantly|"
            r"nonstop|all the time|every (?:day|week|other day))",
            r"\b(?:every|each)\s+(?:single\s+)?(?:day|week|other day|month)\b[^.!?]{0,40}\b"
            r"(?:another|a new|more)\s+(?:text|message|e-?mail|call|ask|request)s?\b",
            r"\b(?:dial it back|tone it down|back off|ease up|give it a rest|overkill|relentless|"
            r"pushy|nagg\w*|pester\w*|badger\w*|hounding)\b",
            r"\b(?:it'?s|this is)\s+(?:getting\s+|a bit\s+|way\s+|just\s+|kind of\s+)?"
            r"(?:a lot|too much|excessive)\s*(?:[.!]|$)",
        ),
        "tired of our messages",
    ),
    (
        any_of(
            r"\bcharged (?:me|us) (?:twice|double)|\bovercharg",
            r"\b(?:double|triple)[- ]?(?:charged|billed|drafted)\b",
            r"\b(?:billed|charged|debited|drafted|withdr[ae]wn?)\b(?:\s+\w+){0,4}\s+(?:twice|"
            r"double|two times|again|both|for (?:the )?(?:old|wrong|both|two))\b",
            rf"\b(?:raised|hiked|jacked up|bumped up|increased)\s+(?:my|our)\s+(?:\w+\s+)?{_PRICE}",
            r"\bpaying (?:\d+ ?%|way|a lot|so much|twice as much) more\b",
            r"\b(?:my|our) claim (?:was|got) (?:denied|rejected|mishandled)",
            r"\b(?:den(?:ied|ying|y)|reject(?:ed|ing)|lowball(?:ed|ing)|botch(?:ed|ing)|"
            r"mishandl(?:ed|ing))\s+(?:my|our)\s+(?:\w+\s+)?claim\b",
            r"\b(?:you|u|y'?all|you guys|they)\s+(?:\w+\s+)?(?:cancell?ed|dropped|non-?renewed)\s+"
            r"(?:my|our|me|us)\b",
        ),
        "complains about billing or a claim",
    ),
    (
        any_of(
            r"\bfile a complaint\b",
            r"\bdepartment of insurance\b",
            r"\b(?:speak|talk) (?:to|with) (?:your|a|the) (?:manager|supervisor|boss)\b",
            r"\b(?:call(?:ing)?|get(?:ting)?|contact(?:ing)?|hir(?:e|ing)|talk(?:ing)? to) "
            r"(?:my|a|an) (?:lawyer|attorney)\b",
        ),
        "escalates",
    ),
)
# Families that could be about anyone: searched sentence by sentence, never in one about
# someone else's agent or rates.
_IN_A_SENTENCE: tuple[_Family, ...] = (
    (
        any_of(
            rf"\b(?:my|our)\s+(?:\w+\s+){{0,2}}{_PRICE}\s+(?:\w+\s+){{0,3}}{_RISE}",
            rf"^\W*{_PRICE}\s+(?:\w+\s+){{0,2}}{_RISE}",
        ),
        "complains about a price increase",
    ),
    (
        any_of(
            r"\b(?:hit|slapped|stuck|charged|dinged)\s+(?:me\s+|us\s+)?with\s+(?:a|an|another|"
            r"the)\s+(?:\w+\s+)?fee\b",
        ),
        "complains about a fee",
    ),
    (
        any_of(
            r"\b(?:been|is|was|sat|sitting)\s+(?:open|pending|sitting|stuck|in limbo|"
            r"under review|dragging on)\s+(?:for|since)\b",
            r"\b(?:still|never|yet to)\b(?:\s+\w+){0,2}\s+(?:seen|see|gotten|get|got|received|"
            r"receive)\s+(?:a |the |my |our |any )?(?:refund|check|reimbursement|money|payout)\b",
            r"\b(?:weeks|months)\s+(?:now|later|and counting|and still|with no|without)\b",
            r"\b(?:zero|no|not (?:one|a single))\s+(?:answers?|responses?|replies|updates?|"
            r"callbacks?|call ?backs?|follow[- ]?ups?)\b(?!\s+(?:needed|necessary|required))",
        ),
        "says a claim or payment drags on",
    ),
    (
        any_of(
            r"\b(?:wrong|incorrect|mistakes?|errors?)\b[^.!?]{0,40}\b(?:for (?:\w+ )?"
            rf"{_NUMBER} (?:days|weeks|months|years)|again|twice|{_NUMBER} times)\b",
        ),
        "says we keep getting it wrong",
    ),
)
# A sentence about our service (anchor) that carries a grievance (marker) is a complaint.
_OUR_SERVICE = any_of(
    r"\b(?:you guys|y'?all)\b",
    r"\byour (?:office|team|staff|company|agency|service|people|claims?|billing|website|app|"
    r"portal|end|side)\b",
    r"\b(?:my|our) (?:\w+ )?(?:bill|billing|claim|renewal|premium|rates?|policy|refund|payment|"
    r"agent|proof of insurance|id cards?|declarations|coverage|paperwork|check)\b",
)
# Any word that speaks to us, for milder evidence.
_TO_US = rx(r"\b(?:you|u|your|ur|y'?all|yours)\b")
_FIRST_PERSON = rx(r"\b(?:i|i'?ve|i'?m|i'?d|me|my|we|we'?ve|we'?re|us|our)\b")
_GRIEVANCE = any_of(
    r"\b(?:take|took|takes|taking) (?:over |almost |nearly |like )?(?:forever|ages|so long|"
    rf"this long|weeks|months|(?:{_NUMBER}|a few) (?:business )?(?:days|weeks|months))\b",
    r"\b(?:has been|have been|is|are|was|keeps?) (?:down|broken|offline|crashing|not working)\b",
    r"\b(?:no ?one|nobody) (?:told|gave|bothered|checked|followed)\b",
    r"\b(?:no ?one|nobody) (?:can|could|would|will)(?: \w+)? (?:explain|help|answer|tell)\b",
    r"\bwithout (?:telling|warning|asking|any notice|notice)\b",
    r"\buntil (?:you|u|y'?all) (?:fix|sort|figure)",
    r"\b(?:made|make|making) (?:a|another) mistake\b|\bby (?:mistake|accident)\b|\bin error\b",
    r"\balmost lost\b|\bseriously\?|\b(?:fighting|arguing|battling) with\b",
    r"\bheard nothing\b|\bno (?:reply|response|answer|callback|call back) (?:yet|since)\b",
    r"\b(?:someone|somebody|anyone) (?:could|would|might|can) (?:return|answer|respond to) my\b",
    r"\b(?:higher|more) than (?:what )?(?:you|u|y'?all) (?:told|quoted|said|promised)\b",
    r"\b(?:you|you guys|your office|your team)\s+(?:\w+\s+)?(?:forgot|lost|messed up|"
    r"screwed up|dropped the ball|overbilled|cancell?ed|charged|billed)\b",
    r"\beven though (?:i|we|my|our|auto-?pay)\b",
)
# Words that are a complaint on their own, unless negated or about someone else's agent.
_HARSH_WORDS = rx(
    r"\b(?:terrible|awful|horrible|worst|useless|ridiculous|unacceptable|unbelievable|"
    r"disappoint\w*|frustrat\w*|annoy\w*|furious|pissed|rude|unprofessional|incompetent|"
    r"fed up|sick of|rip-? ?off|a (?:joke|mess|nightmare|disaster|hassle|headache)|"
    r"not impressed|harass\w*|condescending|dismissive|unhelpful|sloppy|shady|misleading|lied|"
    r"bait and switch|embarrassing|pathetic|insulting|disrespectful|absurd|laughable|careless|"
    r"inept|clueless|outrageous|appalling|disgusting|not thrilled|not pleased|not amused|"
    r"not a fan|(?:do ?n'?t|do not) appreciate|thanks for nothing|(?:real|very|so|how) classy|"
    r"give me a break|are you (?:kidding|serious)|yeah right)\b|"
    r"\bnot (?:the|what) (?:experience|service|treatment) I expected|"
    r"[\U0001F644\U0001F612\U0001F624\U0001F620\U0001F621\U0001F92C\U0001F44E]"
)
# A sarcastic opener ("great, another text", "oh sure, ...") counts with a negative turn.
_SARCASTIC_OPENER = rx(
    r"^\W*(?:great|wow|oh (?:great|sure|good|joy|wonderful)|cool|lovely|awesome|perfect|"
    r"fantastic|wonderful|super|ugh|sigh)\W+(?:\w+\W+){0,2}?(?:another|more|yet another|"
    r"one more|again)\s+(?:texts?|messages?|e-?mails?|asks?|requests?|reminders?|pitch(?:es)?)\b"
)
# Words that count only with a clearly negative VADER tone, in a reply that speaks to us.
_NEGATIVE_WORDS = rx(
    r"\b(?:angry|upset|mad|not happy|unhappy|bad(?! (?:time|timing|day|week))|poor|lousy|slow|"
    r"on hold|overpriced|too expensive|hate(?! to))\b"
)
_NEGATED_WORD = rx(rf"{NOT}\s+(?:\w+\s+)?$")
# "terrible timing", "an awful fire": the word is about something other than us.
_ABOUT_SOMETHING_ELSE = rx(
    r"^\s+(?:timing|time|day|week|weekend|year|weather|traffic|cold|flu|news|luck|accident|"
    r"wreck|crash|collision|fire|flood|storm|hurricane|tornado|hail\w*|injury|illness|loss)\b"
)
# A yes/no question ("did my rate go up?") asks; it does not complain.
_YES_NO_QUESTION = rx(r"^\W*(?:did|does|do|will|would|is|are|was|has|have|can|could|should)\b.*\?")
# Negativity aimed at someone else's agent is the referral opportunity itself.
_OTHERS_AGENT = any_of(
    r"\b(?:his|her|their|she|he|they)\b.{0,30}\b(?:agent|agency|carrier|insurer|insurance|"
    r"rates?|premium|coverage)\b",
    r"\b(?:my|our|the) (?:last|old|previous|former|prior) (?:agent|agency|carrier|insurer|"
    r"insurance)",
)
# Below this compound score a sentence that speaks to us in the first person is a grievance.
_HOSTILE_TONE = -0.5


def _unnegated(pattern: re.Pattern[str], sentence: str) -> re.Match[str] | None:
    for word in pattern.finditer(sentence):
        negated = _NEGATED_WORD.search(sentence[: word.start()])
        if not negated and not _ABOUT_SOMETHING_ELSE.search(sentence[word.end() :]):
            return word
    return None


def _in_a_sentence(sentence: str, text: str, tone: float) -> str | None:
    if not _YES_NO_QUESTION.search(sentence):
        for pattern, why in _IN_A_SENTENCE:
            if pattern.search(sentence):
                return why
    speaks_to_us = _TO_US.search(text) or _OUR_SERVICE.search(text)
    grievance = speaks_to_us and _GRIEVANCE.search(sentence)
    if grievance and sentiment(sentence) < 0.3:
        return f"unhappy with our service ({grievance.group().strip().lower()})"
    if harsh := _unnegated(_HARSH_WORDS, sentence):
        return f"negative about us ({harsh.group().lower()})"
    if _SARCASTIC_OPENER.search(sentence):
        return "sarcastic about our messages"
    mild = _unnegated(_NEGATIVE_WORDS, sentence)
    if mild and speaks_to_us and min(tone, sentiment(sentence)) < -0.3:
        return f"negative about us ({mild.group().lower()})"
    if (
        sentiment(sentence) <= _HOSTILE_TONE
        and _TO_US.search(sentence)
        and _FIRST_PERSON.search(sentence)
    ):
        return "hostile tone toward us"
    return None


def complaint(text: str, tone: float) -> str | None:
    """Why the text is a complaint about us, or None; ``tone`` is its VADER compound."""
    for pattern, family in _ABOUT_US:
        if pattern.search(text):
            return family
    for sentence in sentences(text):
        about_others = not sentence.strip() or _OTHERS_AGENT.search(sentence)
        if not about_others and (why := _in_a_sentence(sentence, text, tone)):
            return why
    return None
