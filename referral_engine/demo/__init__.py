"""The simulated agency behind `referral demo`: weeks of events, replies and people's
decisions run through the real product, then summarized.

- :mod:`.simulation` drives the weeks and prints the summary (:func:`run_demo`);
- :mod:`.network` stands in for email and SMS providers and the clients' answers;
- :mod:`.people` plays the staff: review, tasks, referrals worked;
- :mod:`.referrals` moves referrals along their pipeline.
"""

from referral_engine.demo.simulation import run_demo

__all__ = ["run_demo"]
