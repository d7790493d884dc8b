"""payments: see service.py for the public operations."""
