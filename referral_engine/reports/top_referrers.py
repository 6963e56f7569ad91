"""The top referrers of a quarter, fit to publish (research R36, R37; test case 10).

What callers may rely on:

* Only clients whose newest publicity statement grants it are named; everyone else —
  clients without that permission, partners (no permission can be recorded for them),
  external sources — is left out and counted in ``withheld``.
* A row shows the name and the introductions received in the quarter: never what
  became of the people introduced (their business, research R34). Ranked by
  introductions, then by name.
* A row of a referrer who received a reward carries the disclosure the FTC Endorsement
  Guides ask for when their name is used in public.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from referral_engine.referrals import publicity, recognition, rewards


@dataclass(frozen=True)
class PublicRow:
    rank: int
    name: str
    introductions: int
    disclosure: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "name": self.name,
            "introductions": self.introductions,
            "disclosure": self.disclosure,
        }


@dataclass
class TopReferrers:
    quarter: str
    rows: list[PublicRow] = field(default_factory=list)
    withheld: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "quarter": self.quarter,
            "rows": [row.as_dict() for row in self.rows],
            "withheld": self.withheld,
            "note": "only referrers with a recorded publicity permission are named",
        }


def top_referrers(session: Session, *, quarter: recognition.Quarter, top: int = 10) -> TopReferrers:
    """The quarter's referrers who may be named, most introductions first."""
    start, end = quarter.bounds(recognition.agency_zone(session))
    standings = recognition.introductions(session, start=start, end=end)
    standings = [s for s in standings if s.received]
    clients = [s.referrer_id for s in standings if s.kind == "client"]
    allowed = publicity.permissions(session, clients)
    given = rewards.given_to(session, clients)
    named = [s for s in standings if s.kind == "client" and s.referrer_id in allowed]
    named.sort(key=lambda s: (-s.received, s.name.casefold(), s.referrer_id))
    rows = []
    for place, standing in enumerate(named[:top], start=1):
        reward = given.get(standing.referrer_id)
        rows.append(
            PublicRow(
                rank=place,
                name=standing.name,
                introductions=standing.received,
                disclosure=publicity.disclosure(standing.name, reward.kind) if reward else None,
            )
        )
    return TopReferrers(quarter=str(quarter), rows=rows, withheld=len(standings) - len(named))
