"""Comptoir: unified commerce — one customer, one stock, one cart, one price on every channel."""

__version__ = "0.1.0"
