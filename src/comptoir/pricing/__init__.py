"""Pricing: price lists, price history (Omnibus), the promotion engine — one price on every channel."""
