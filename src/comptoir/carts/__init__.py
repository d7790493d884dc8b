"""Carts: one server-side cart that follows the customer across channels."""
