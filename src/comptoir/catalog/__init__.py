"""Catalogue: product information (PIM) and digital assets (DAM) for every channel."""
