"""Referral Engine: turns the warmest moments of a client relationship into referrals."""

__version__ = "0.1.0"
