"""The back office: catalogue, stores, stock, promotions, orders and the dashboard with charts."""
