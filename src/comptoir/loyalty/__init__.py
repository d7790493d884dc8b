"""Loyalty: one points ledger, tiers and rewards on every channel."""
