"""Stores: places (stores, warehouses, pickup points), opening hours, publication to every channel."""
