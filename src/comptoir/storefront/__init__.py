"""The reference storefront: the web channel's pages for shoppers (phone first), on the same services as the API."""
