"""The carts' and wishlists' messages rendered without a database, from the preview's samples, in French and
English: the abandoned cart's lines with their quantities, today's prices, the Omnibus reference struck and
the total; back in stock and price drop with the product and the way to the wishlist; the footer's
unsubscribe link (they are marketing); SMS that carry the opt-out mention and fit two GSM-7 segments; what
cannot be written is refused; hostile names are escaped."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from comptoir.core.messaging import sms_length
from comptoir.engagement.mail_carts import CartFacts, CartItem, WishFacts
from comptoir.engagement.rendering import TEMPLATES, MessageContext, ProductBlock, render, sample_context

NBSP = "\u00a0"
CARTS = ("abandoned_cart", "back_in_stock", "price_drop")
ALL = [(template, lang) for template in CARTS for lang in ("fr", "en")]


def _cart(context: MessageContext) -> CartFacts:
    facts = context.extra["cart"]
    assert isinstance(facts, CartFacts)
    return facts


def _wish(context: MessageContext) -> WishFacts:
    facts = context.extra["wish"]
    assert isinstance(facts, WishFacts)
    return facts


def test_the_three_templates_are_known_to_the_renderer() -> None:
    assert set(CARTS) <= set(TEMPLATES)


@pytest.mark.parametrize(("template", "lang"), ALL)
def test_each_renders_from_its_sample_as_a_marketing_message(template: str, lang: str) -> None:
    context = sample_context(template, lang)

    rendered = render(template, lang, context)

    assert context.purpose == "marketing" and context.unsubscribe_url
    assert f'<html lang="{lang}"' in rendered.html and rendered.text.startswith("Maison Lumière\n")
    assert context.unsubscribe_url in rendered.text and f'href="{context.unsubscribe_url}"' in rendered.html
    assert "{{" not in rendered.text and "%(" not in rendered.html and "%(" not in rendered.text
    styles = re.findall(r"<style>(.*?)</style>", rendered.html, re.S)
    assert len(styles) == 1 and styles[0].strip().startswith("@media")  # the rest is inlined


@pytest.mark.parametrize(("template", "lang"), ALL)
def test_the_sms_carries_the_opt_out_and_fits_two_gsm7_segments(template: str, lang: str) -> None:
    sms = render(template, lang, sample_context(template, lang)).sms

    length = sms_length(sms)
    assert length.encoding == "GSM-7" and 1 <= length.segments <= 2
    assert sms.endswith("Stop SMS : répondez STOP" if lang == "fr" else "Reply STOP to opt out")


def test_the_abandoned_cart_reads_in_french() -> None:
    context = sample_context("abandoned_cart", "fr")

    rendered = render("abandoned_cart", "fr", context)

    assert rendered.subject == "Claire, votre panier vous attend"
    assert rendered.push_body == "Suspension Opaline et 2 autres articles sont toujours dans votre panier."
    text = rendered.text
    assert f"189,00{NBSP}€ (-20{NBSP}%)" in text and f"Prix de référence{NBSP}: 239,00{NBSP}€" in text
    assert f"2{NBSP}×{NBSP}89,00{NBSP}€" in text and f"Total{NBSP}: 367,00{NBSP}€" in text
    assert f"Retrouver mon panier{NBSP}: {_cart(context).cart_url}" in text
    assert "<s>239,00&nbsp;€</s>" in rendered.html
    assert rendered.sms == (
        "Maison Lumière : votre panier (367,00 €) vous attend. Retrouvez-le ici : "
        "https://www.maison-lumiere.fr/panier Stop SMS : répondez STOP"
    )


def test_the_abandoned_cart_reads_in_english() -> None:
    rendered = render("abandoned_cart", "en", sample_context("abandoned_cart", "en"))

    assert rendered.subject == "Claire, your cart is waiting for you"
    assert rendered.push_body == "Suspension Opaline and 2 other items are still in your cart."
    assert "€189.00 (-20%)" in rendered.text and "Reference price: €239.00" in rendered.text
    assert "2 × €89.00" in rendered.text and "Total: €367.00" in rendered.text


def test_a_cart_of_one_item_that_cannot_be_priced_shows_no_total() -> None:
    context = sample_context("abandoned_cart", "en")
    facts = _cart(context)
    one = replace(facts, items=facts.items[:1], total=None)

    rendered = render("abandoned_cart", "en", replace(context, extra={"cart": one}, first_name=None))

    assert rendered.subject == "Your cart is waiting for you"
    assert rendered.push_body == "Suspension Opaline is still in your cart."
    assert "Total" not in rendered.text and "Total" not in rendered.html
    assert rendered.sms.startswith("Maison Lumière: your cart is waiting for you.")


def test_back_in_stock_reads_in_both_languages() -> None:
    fr = render("back_in_stock", "fr", sample_context("back_in_stock", "fr"))
    en = render("back_in_stock", "en", sample_context("back_in_stock", "en"))

    assert fr.subject == "Lampadaire Arc noir est de retour en stock"
    assert en.subject == "Lampadaire Arc noir is back in stock"
    assert f"349,00{NBSP}€" in fr.text and "€349.00" in en.text
    assert "https://www.maison-lumiere.fr/compte/envies" in fr.text
    assert "Reference price" not in en.text  # not discounted: no reference, no struck price


def test_a_price_drop_states_the_omnibus_reference_never_the_price_before() -> None:
    context = sample_context("price_drop", "en")
    facts = _wish(context)
    higher_before = replace(
        facts, price_before=Decimal("259.00")
    )  # what the watch knew: not the month's lowest

    rendered = render("price_drop", "en", replace(context, extra={"wish": higher_before}))

    assert rendered.subject == "The price of Suspension Opaline has gone down"
    assert "now €189.00 instead of €239.00" in rendered.html
    assert "259" not in rendered.html and "259" not in rendered.text and "259" not in rendered.sms
    assert "the lowest price of the 30 days before the discount" in rendered.text


def test_a_price_drop_without_a_discount_announces_no_prior_price() -> None:
    context = sample_context("price_drop", "fr")
    facts = _wish(context)
    plain = replace(facts, product=replace(facts.product, reference_price=None))

    rendered = render("price_drop", "fr", replace(context, extra={"wish": plain}))

    assert (
        rendered.push_body == f"Suspension Opaline, de votre liste d’envies{NBSP}: désormais à 189,00{NBSP}€."
    )
    assert "au lieu de" not in rendered.text and "Prix de référence" not in rendered.text


def test_what_cannot_be_written_is_refused() -> None:
    cart = sample_context("abandoned_cart", "fr")
    wish = sample_context("price_drop", "fr")
    facts = _wish(wish)

    with pytest.raises(ValueError, match="cart"):
        render("abandoned_cart", "fr", replace(cart, extra={}))
    with pytest.raises(ValueError, match="cart"):
        render("abandoned_cart", "fr", replace(cart, extra={"cart": replace(_cart(cart), items=())}))
    with pytest.raises(ValueError, match="wished-for"):
        render("back_in_stock", "fr", replace(wish, extra={}))
    with pytest.raises(ValueError, match="lower"):
        render(
            "price_drop", "fr", replace(wish, extra={"wish": replace(facts, price_before=Decimal("189.00"))})
        )
    with pytest.raises(ValueError, match="lower"):
        render("price_drop", "fr", replace(wish, extra={"wish": replace(facts, price_before=None)}))
    with pytest.raises(ValueError, match="unsubscribe"):
        render("price_drop", "fr", replace(wish, unsubscribe_url=None))
    with pytest.raises(ValueError, match="at least one item"):
        CartItem(facts.product, 0)


def test_a_link_that_is_not_http_is_refused() -> None:
    context = sample_context("abandoned_cart", "en")

    with pytest.raises(ValueError, match="http"):
        render(
            "abandoned_cart",
            "en",
            replace(context, extra={"cart": replace(_cart(context), cart_url="/panier")}),
        )
    wish = sample_context("back_in_stock", "en")
    bad = replace(_wish(wish), product=replace(_wish(wish).product, url="javascript:alert(1)"))
    with pytest.raises(ValueError, match="http"):
        render("back_in_stock", "en", replace(wish, extra={"wish": bad}))


def test_hostile_product_names_are_escaped() -> None:
    hostile = '<script>alert("x")</script>'
    context = sample_context("abandoned_cart", "en")
    facts = _cart(context)
    product: ProductBlock = replace(facts.items[0].product, name=hostile)
    items = (CartItem(product, 1),)

    html = render("abandoned_cart", "en", replace(context, extra={"cart": replace(facts, items=items)})).html

    assert "<script" not in re.sub(r'"[^"]*"', '""', html)
    assert "&lt;script&gt;" in html
