"""The shared kernel every domain stands on: database, unit of work, events, errors, auth, money, ids."""
