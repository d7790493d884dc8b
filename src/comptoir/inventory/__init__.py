"""Inventory: stock per SKU and place, counts, shelf locations, availability, reservations."""
