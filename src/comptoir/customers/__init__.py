"""Customers: the single customer record — ingestion, identity resolution, consent, GDPR, 360° view."""
