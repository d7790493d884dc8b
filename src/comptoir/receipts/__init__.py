"""receipts: see service.py for the public operations."""
