"""Orders: checkout, sourcing, fulfilment in every mode, e-receipts and returns anywhere."""
