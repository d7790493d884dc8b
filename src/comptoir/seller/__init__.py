"""The seller app: the shop tablet's one navigation across domains (customer, products, cart, pickups, returns).

An app, not a domain: it stores nothing of its own and composes the domains' public services."""
