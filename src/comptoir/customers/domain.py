"""What the customers domain plugs into the application, the worker and the ``comptoir`` command."""

from comptoir.core.registry import Domain
from comptoir.customers import handlers, jobs, models, profiles

DOMAIN = Domain(
    name="customers",
    models=models,
    routers=("comptoir.customers.routes:router", "comptoir.customers.pages:router"),
    register_handlers=handlers.register_handlers,
    jobs=jobs.jobs,
    customer_section=profiles.customer_section,
    pages=[("Customers", "/pages/customers"), ("Possible duplicates", "/pages/customers/reviews")],
    cli="comptoir.customers.cli",
    import_commands=("customers",),
    demo="comptoir.customers.demo",
)
