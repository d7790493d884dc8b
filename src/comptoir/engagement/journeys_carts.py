"""engagement: the built-in journeys of carts and wishlists: abandoned cart, back in stock, price drop, and
the events they follow.

* **Abandoned cart** (``carts.cart_abandoned``: a customer's cart with lines left untouched for the carts
  domain's delay, an hour by default): a reminder an hour later, then another the next day at 10:00 on the
  customer's clock (dropped rather than delayed when the caps are reached). The cart becoming an order
  (``carts.cart_ordered``) or any order the customer places (``orders.order_placed``, which names no cart)
  ends it. One series per cart: a cart abandoned again after a visit does not start a second. An anonymous
  cart has nobody to write to.
* **Back in stock** (``inventory.stock_changed``) and **price drop** (``pricing.price_changed``): the event
  is about a product; :mod:`comptoir.engagement.wishes` decides whether it is an episode (out of stock online
  then orderable again; the web price lower by 5 %) and starts the journey for each customer who wishes for
  the product, about that episode (the event's id is the subject) — at most once a week per customer,
  product and kind.

All three are marketing: an opt-in for marketing on some channel to enter, and for the message's channel
when it is due; pressure caps and quiet hours apply.
"""

from __future__ import annotations

from comptoir.carts.events import CartAbandoned, CartOrdered
from comptoir.core.events import DomainEvent
from comptoir.engagement.mail_carts import ABANDONED_CART as ABANDONED_CART_TEMPLATE
from comptoir.engagement.mail_carts import BACK_IN_STOCK as BACK_IN_STOCK_TEMPLATE
from comptoir.engagement.mail_carts import PRICE_DROP as PRICE_DROP_TEMPLATE
from comptoir.engagement.schemas import Entry, JourneyDefinition, Localised, Step, Timing
from comptoir.inventory.events import StockChanged
from comptoir.orders.events import OrderPlaced
from comptoir.pricing.events import PriceChanged

ABANDONED_CART = JourneyDefinition(
    code="abandoned_cart",
    name=Localised(fr="Panier abandonné", en="Abandoned cart"),
    trigger=CartAbandoned.event_type,
    subject_field="cart_id",
    purpose="marketing",
    entry=Entry(consent_required=True),
    steps=[
        Step(
            key="reminder",
            template=ABANDONED_CART_TEMPLATE,
            channels=["email"],
            timing=Timing(minutes=60),
            priority=50,
        ),
        Step(
            key="next_day",
            template=ABANDONED_CART_TEMPLATE,
            channels=["email"],
            timing=Timing(days=1, at="10:00"),
            priority=40,
            on_collision="drop",
        ),
    ],
    exit_on=[CartOrdered.event_type, OrderPlaced.event_type],
)

BACK_IN_STOCK = JourneyDefinition(
    code="back_in_stock",
    name=Localised(fr="De retour en stock", en="Back in stock"),
    trigger=StockChanged.event_type,
    subject_field="event_id",
    purpose="marketing",
    entry=Entry(consent_required=True),
    steps=[Step(key="notice", template=BACK_IN_STOCK_TEMPLATE, channels=["email"], priority=60)],
)

PRICE_DROP = JourneyDefinition(
    code="price_drop",
    name=Localised(fr="Baisse de prix", en="Price drop"),
    trigger=PriceChanged.event_type,
    subject_field="event_id",
    purpose="marketing",
    entry=Entry(consent_required=True),
    steps=[Step(key="notice", template=PRICE_DROP_TEMPLATE, channels=["email"], priority=45)],
)

DEFINITIONS: tuple[JourneyDefinition, ...] = (ABANDONED_CART, BACK_IN_STOCK, PRICE_DROP)
EVENT_CLASSES: tuple[type[DomainEvent], ...] = (CartAbandoned, CartOrdered, StockChanged, PriceChanged)
