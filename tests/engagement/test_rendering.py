"""The journeys' messages, rendered without a database: every template in French and English from the
preview's sample, times in the place's time zone, prices and the Omnibus reference by locale, the footer's
links by purpose, inlined CSS and no outside resource but the products' images, escaping, and SMS texts
that carry the opt-out mention and fit in two GSM-7 segments; the order messages' lines, totals, pickup
shop and deadline in the shop's time zone."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from comptoir.core.messaging import sms_length
from comptoir.engagement.rendering import (
    TEMPLATES,
    AppointmentFacts,
    MessageContext,
    OrderFacts,
    OrderLine,
    ProductBlock,
    Rendered,
    UnknownTemplate,
    render,
    sample_context,
)

NBSP, NNBSP = "\u00a0", "\u202f"
MARKETING = (
    "appointment_report",
    "appointment_follow_up",
    "welcome",
    "welcome_discover",
    "new_tier",
    "birthday",
)
TRANSACTIONAL = (
    "appointment_confirmation",
    "appointment_reminder",
    "order_confirmation",
    "order_ready_for_pickup",
    "order_pickup_reminder",
    "order_not_collected",
    "e_receipt",
)
MARKETING += ("survey_nps", "survey_csat")  # surveys are commercial: their own opt-in, unsubscribe link
MARKETING += ("abandoned_cart", "back_in_stock", "price_drop")  # carts and wishlists
MARKETING += ("new_arrivals", "new_arrivals_follow_up")  # launched to an audience
MARKETING += ("live_session_report", "live_follow_up")  # after a video session
ALL = [(template, lang) for template in TEMPLATES for lang in ("fr", "en")]


def _at(context: MessageContext, starts_at: datetime, timezone: str = "Europe/Paris") -> MessageContext:
    assert context.appointment is not None
    appointment = replace(
        context.appointment, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), timezone=timezone
    )
    return replace(context, appointment=appointment)


def _escaped(text: str) -> str:
    """``text`` as the inlined HTML writes it: the serialiser spells the no-break space ``&nbsp;``."""
    return text.replace(NBSP, "&nbsp;")


def _product(**changes: object) -> ProductBlock:
    base = ProductBlock(
        name="Lampe à poser Céleste",
        url="https://www.maison-lumiere.fr/produits/lampe-celeste",
        image_url="https://images.maison-lumiere.fr/assets/lampe-celeste/listing",
        price=Decimal("89.00"),
        currency="EUR",
        kind="shown",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _report(lang: str, *products: ProductBlock) -> Rendered:
    context = replace(sample_context("appointment_report", lang), products=products)
    return render("appointment_report", lang, context)


# -- every message renders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "lang"), ALL)
def test_every_template_renders_from_its_sample_in_both_languages(template: str, lang: str) -> None:
    rendered = render(template, lang, sample_context(template, lang))

    assert rendered.subject and rendered.push_title and rendered.push_body and rendered.sms
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}"' in rendered.html
    assert '<td class="brand"' in rendered.html and ">Maison Lumière</td>" in rendered.html
    assert 'class="preheader"' in rendered.html
    assert f"<title>{_escaped(rendered.subject)}</title>" in rendered.html
    assert rendered.text.startswith("Maison Lumière\n==============\n")
    assert "{{" not in rendered.text and "{%" not in rendered.html and "%(" not in rendered.html


def test_the_confirmation_reads_in_french() -> None:
    rendered = render("appointment_confirmation", "fr", sample_context("appointment_confirmation", "fr"))

    assert rendered.subject == "Votre rendez-vous du mardi 9 mars 2027 est confirmé"
    assert rendered.push_title == "Votre rendez-vous est confirmé"
    assert rendered.push_body == "Conseil en éclairage le mardi 9 mars 2027 à 10:00, Maison Lumière Marais"
    assert rendered.text.splitlines()[3:8] == [
        "Votre rendez-vous est confirmé",
        "",
        "Bonjour Claire,",
        "",
        "Merci d’avoir pris rendez-vous chez Maison Lumière. Voici tout ce qu’il faut savoir pour votre visite.",
    ]
    assert f"Prestation{NBSP}: Conseil en éclairage\n" in rendered.text
    assert f"Date{NBSP}: mardi 9 mars 2027 à 10:00\n" in rendered.text
    assert f"Lieu{NBSP}: Maison Lumière Marais, 12 rue des Francs-Bourgeois, 75003 Paris\n" in rendered.text
    assert f"Avec{NBSP}: Camille\n" in rendered.text
    assert (
        f"Ajouter à mon agenda{NBSP}: "
        "https://www.maison-lumiere.fr/rendez-vous/apt_01JQ7ZK4M2/invitation.ics?sig=5f1c9a2e\n"
    ) in rendered.text
    assert (
        f"Déplacer ou annuler{NBSP}: https://www.maison-lumiere.fr/rendez-vous/apt_01JQ7ZK4M2\n"
        in rendered.text
    )
    assert f"Un empêchement{NNBSP}?" in rendered.text
    assert ">Ajouter à mon agenda</a>" in rendered.html and ">Déplacer ou annuler</a>" in rendered.html
    assert 'href="https://www.maison-lumiere.fr/rendez-vous/apt_01JQ7ZK4M2/invitation.ics?sig=5f1c9a2e"' in (
        rendered.html
    )


def test_the_confirmation_reads_in_english() -> None:
    rendered = render("appointment_confirmation", "en", sample_context("appointment_confirmation", "en"))

    assert rendered.subject == "Your appointment on Tuesday 9 March 2027 is confirmed"
    assert "When: Tuesday 9 March 2027 at 10:00\n" in rendered.text
    assert "Add to my calendar: https://www.maison-lumiere.fr/rendez-vous/" in rendered.text
    assert ">Add to my calendar</a>" in rendered.html and ">Move or cancel</a>" in rendered.html


def test_the_reminder_and_the_follow_up_state_their_facts() -> None:
    reminder = render("appointment_reminder", "fr", sample_context("appointment_reminder", "fr"))
    follow_up = render("appointment_follow_up", "en", sample_context("appointment_follow_up", "en"))

    assert reminder.subject == f"Rappel{NBSP}: votre rendez-vous du mardi 9 mars 2027 à 10:00"
    assert reminder.push_title == "Votre rendez-vous approche"
    assert follow_up.subject == "Claire, how is everything going?"
    assert "Lampadaire Arc noir" in follow_up.html and "Guirlande Lucioles" in follow_up.text
    assert "Book an appointment: https://www.maison-lumiere.fr/rendez-vous/apt_01JQ7ZK4M2" in follow_up.text


def test_a_language_other_than_french_or_english_gets_french() -> None:
    rendered = render("appointment_reminder", "de-DE", sample_context("appointment_reminder", "de"))

    assert '<html lang="fr"' in rendered.html
    assert rendered.push_title == "Votre rendez-vous approche"


def test_no_first_name_greets_without_one() -> None:
    context = replace(sample_context("appointment_follow_up", "fr"), first_name=None)

    rendered = render("appointment_follow_up", "fr", context)

    assert "Bonjour,\n" in rendered.text
    assert rendered.subject == f"Tout se passe bien{NNBSP}?"


# -- times in the place's time zone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "fr", "en"),
    [
        (
            datetime(2027, 3, 9, 9, 0, tzinfo=UTC),
            "mardi 9 mars 2027 à 10:00",
            "Tuesday 9 March 2027 at 10:00",
        ),
        (
            datetime(2027, 6, 15, 9, 0, tzinfo=UTC),
            "mardi 15 juin 2027 à 11:00",
            "Tuesday 15 June 2027 at 11:00",
        ),
        (
            datetime(2027, 3, 9, 23, 30, tzinfo=UTC),
            "mercredi 10 mars 2027 à 00:30",
            "Wednesday 10 March 2027 at 00:30",
        ),
    ],
)
def test_times_are_shown_in_the_place_s_time_zone(starts_at: datetime, fr: str, en: str) -> None:
    french = render(
        "appointment_reminder", "fr", _at(sample_context("appointment_reminder", "fr"), starts_at)
    )
    english = render(
        "appointment_reminder", "en", _at(sample_context("appointment_reminder", "en"), starts_at)
    )

    assert f"Date{NBSP}: {fr}\n" in french.text and fr in french.html and fr in french.subject
    assert f"When: {en}\n" in english.text and en in english.html and en in english.subject


def test_a_place_in_another_zone_shows_its_own_time() -> None:
    context = _at(
        sample_context("appointment_confirmation", "en"),
        datetime(2027, 3, 9, 15, 0, tzinfo=UTC),
        "America/Montreal",
    )

    rendered = render("appointment_confirmation", "en", context)

    assert "When: Tuesday 9 March 2027 at 10:00\n" in rendered.text


# -- prices and the Omnibus reference ----------------------------------------------------------------------


def test_prices_are_formatted_by_locale() -> None:
    french = _report("fr", _product())
    english = _report("en", _product())

    assert f"  89,00{NBSP}€\n" in french.text
    assert ">89,00&nbsp;€</p>" in french.html
    assert "  €89.00\n" in english.text
    assert ">€89.00</p>" in english.html


def test_a_discounted_product_shows_its_reference_price_struck_and_the_discount() -> None:
    discounted = _product(price=Decimal("189.00"), reference_price=Decimal("239.00"))

    french = _report("fr", discounted)
    english = _report("en", discounted)

    assert _escaped(f"Prix de référence{NBSP}: <s>239,00{NBSP}€</s>") in french.html
    assert ">-20&nbsp;%</span>" in french.html  # 20.9 % off, rounded down: never overstated
    assert f"  189,00{NBSP}€ (-20{NBSP}%)\n  Prix de référence{NBSP}: 239,00{NBSP}€\n" in french.text
    assert "Reference price: <s>€239.00</s>" in english.html
    assert "  €189.00 (-20%)\n  Reference price: €239.00\n" in english.text


@pytest.mark.parametrize("reference", [None, Decimal("89.00"), Decimal("79.00")])
def test_the_reference_price_is_shown_only_when_discounted(reference: Decimal | None) -> None:
    rendered = _report("fr", _product(reference_price=reference))

    assert "Prix de référence" not in rendered.html and "Prix de référence" not in rendered.text
    assert "<s>" not in rendered.html and "%" not in rendered.text


def test_the_report_groups_shown_and_recommended_products_with_their_links() -> None:
    rendered = render("appointment_report", "fr", sample_context("appointment_report", "fr"))

    shown = rendered.html.index("Ce que Camille vous a présenté")
    recommended = rendered.html.index("Nos recommandations pour vous")
    assert shown < rendered.html.index("Suspension Opaline") < recommended
    assert recommended < rendered.html.index("Applique Atelier laiton")
    assert rendered.html.count('href="https://www.maison-lumiere.fr/produits/suspension-opaline"') == 3
    assert "Camille vous écrit" in rendered.html
    assert (
        f"«{NBSP}Son verre soufflé diffuse une lumière douce au-dessus de votre table.{NBSP}»"
        in rendered.text
    )
    assert "  https://www.maison-lumiere.fr/produits/applique-atelier\n" in rendered.text
    assert rendered.subject == "Votre sélection, préparée par Camille"


def test_the_follow_up_shows_only_the_new_arrivals() -> None:
    context = replace(
        sample_context("appointment_follow_up", "en"),
        products=(_product(name="Shown lamp", kind="shown"), _product(name="New lamp", kind="new")),
    )

    rendered = render("appointment_follow_up", "en", context)

    assert "New lamp" in rendered.html and "Shown lamp" not in rendered.html
    assert "Our new arrivals" in rendered.text


def test_a_product_block_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        _product(kind="bestseller")


# -- footer: preferences always, unsubscribe for commercial messages --------------------------------------


@pytest.mark.parametrize(("template", "lang"), ALL)
def test_the_unsubscribe_link_is_in_marketing_messages_only(template: str, lang: str) -> None:
    context = sample_context(template, lang)

    rendered = render(template, lang, context)

    assert f'href="{context.preferences_url}"' in rendered.html
    assert context.preferences_url in rendered.text
    label = "Se désabonner" if lang == "fr" else "Unsubscribe"
    if template in MARKETING:
        assert context.unsubscribe_url
        assert re.search(
            f'<a href="{re.escape(context.unsubscribe_url)}" style="[^"]*">{label}</a>', rendered.html
        )
        assert context.unsubscribe_url in rendered.text
    else:
        assert context.unsubscribe_url is None
        assert label not in rendered.html and label not in rendered.text


def test_a_marketing_message_without_an_unsubscribe_link_is_refused() -> None:
    context = replace(sample_context("appointment_report", "fr"), unsubscribe_url=None)

    with pytest.raises(ValueError, match="unsubscribe"):
        render("appointment_report", "fr", context)


def test_a_message_without_its_appointment_is_refused() -> None:
    context = replace(sample_context("appointment_confirmation", "fr"), appointment=None)

    with pytest.raises(ValueError, match="appointment"):
        render("appointment_confirmation", "fr", context)


# -- HTML: inlined CSS, no outside resources, escaping -------------------------------------------------------


@pytest.mark.parametrize(("template", "lang"), ALL)
def test_the_html_has_its_css_inlined_and_loads_only_the_product_images(template: str, lang: str) -> None:
    context = sample_context(template, lang)

    html = render(template, lang, context).html

    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(styles) == 1 and styles[0].strip().startswith("@media")  # only the media queries are left
    assert re.search(r'<body style="[^"]*background-color: #f4f1ec', html)
    assert re.search(r'<h1 style="[^"]*font-size: 24px', html)
    assert re.search(r'<td class="content" style="[^"]*padding: 32px', html)
    assert "<link" not in html and "<script" not in html and "url(" not in html and "@import" not in html
    sources = re.findall(r'\bsrc="([^"]*)"', html)
    assert sources == [p.image_url for p in _shown_products(template, context)]
    assert "srcset" not in html and "background=" not in html


def _shown_products(template: str, context: MessageContext) -> list[ProductBlock | OrderLine]:
    if template in ("order_confirmation", "order_ready_for_pickup", "order_not_collected"):
        assert context.order is not None
        return list(context.order.lines)  # the reminder does not list them
    if template == "abandoned_cart":
        return [item.product for item in context.extra["cart"].items]
    if template in ("back_in_stock", "price_drop"):
        return [context.extra["wish"].product]
    if template in ("new_arrivals", "new_arrivals_follow_up"):
        arrivals = context.extra["arrivals"]
        return list(arrivals.since or arrivals.latest)  # what has arrived since, else the newest
    if template == "live_session_report":
        live = context.extra["live"]
        return list(live.recommended + live.shown)  # recommended first
    if template == "live_follow_up":
        return list(context.extra["live"].recommended)
    kinds = {"appointment_report": ("shown", "recommended"), "appointment_follow_up": ("new",)}
    return [p for kind in kinds.get(template, ()) for p in context.products if p.kind == kind]


def test_every_template_is_either_marketing_or_transactional() -> None:
    assert sorted(TEMPLATES) == sorted(MARKETING + TRANSACTIONAL)
    assert all(sample_context(t, "fr").purpose == "transactional" for t in TRANSACTIONAL)


def test_hostile_names_are_escaped_in_the_html() -> None:
    hostile = '<script>alert("x")</script>'
    context = replace(
        sample_context("appointment_report", "en"),
        brand="Lumière & Fils",
        first_name=hostile,
        advisor_message=f"Hi {hostile}",
        products=(_product(name=hostile, note=hostile),),
    )

    rendered = render("appointment_report", "en", context)

    outside_attributes = re.sub(r'"[^"]*"', '""', rendered.html)
    assert "<script" not in outside_attributes
    assert 'alt="<script>alert(&quot;x&quot;)</script>"' in rendered.html  # inert in a quoted attribute
    assert 'Hello &lt;script&gt;alert("x")&lt;/script&gt;,' in rendered.html
    assert "Hi &lt;script&gt;" in rendered.html and "“&lt;script&gt;" in rendered.html
    assert "Lumière &amp; Fils" in rendered.html
    assert f"Hello {hostile},\n" in rendered.text  # plain text is not HTML: written as it is


def test_a_link_that_is_not_http_is_refused() -> None:
    context = replace(
        sample_context("appointment_report", "en"), products=(_product(url="javascript:alert(1)"),)
    )

    with pytest.raises(ValueError, match="http"):
        render("appointment_report", "en", context)


# -- unknown templates --------------------------------------------------------------------------------------


def test_an_unknown_template_is_refused() -> None:
    context = sample_context("appointment_confirmation", "fr")

    with pytest.raises(KeyError):
        render("order_ready", "fr", context)
    with pytest.raises(ValueError, match="order_ready"):
        render("order_ready", "fr", context)
    with pytest.raises(UnknownTemplate):
        sample_context("order_ready", "fr")


# -- SMS and push -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "lang"), ALL)
def test_sms_texts_fit_in_two_gsm7_segments_and_marketing_ones_carry_the_opt_out(
    template: str, lang: str
) -> None:
    sms = render(template, lang, sample_context(template, lang)).sms

    length = sms_length(sms)
    assert length.encoding == "GSM-7"
    assert 1 <= length.segments <= 2
    mention = "Stop SMS : répondez STOP" if lang == "fr" else "Reply STOP to opt out"
    if template in MARKETING:
        assert sms.endswith(f" {mention}")
    else:
        assert "STOP" not in sms


def test_the_french_sms_reads_as_written_with_plain_spaces() -> None:
    rendered = render("appointment_follow_up", "fr", sample_context("appointment_follow_up", "fr"))

    assert rendered.sms == (
        "Maison Lumière : un mois après votre visite, tout se passe bien ? Découvrez nos nouveautés et "
        "reprenez rendez-vous : https://www.maison-lumiere.fr/rendez-vous/apt_01JQ7ZK4M2 "
        "Stop SMS : répondez STOP"
    )


def test_the_report_sms_recommends_a_product_with_its_price() -> None:
    rendered = render("appointment_report", "en", sample_context("appointment_report", "en"))

    assert rendered.sms == (
        "Maison Lumière: thank you for your visit! We recommend Applique Atelier laiton (€129.00): "
        "https://www.maison-lumiere.fr/produits/applique-atelier Reply STOP to opt out"
    )


def test_accents_outside_gsm7_are_dropped_only_when_that_keeps_the_sms_in_gsm7() -> None:
    context = sample_context("appointment_reminder", "fr")
    assert context.appointment is not None
    named = replace(context, appointment=replace(context.appointment, place_name="Maison Lumière Forêt"))
    emoji = replace(context, appointment=replace(context.appointment, place_name="Forêt 🌲"))

    assert "Maison Lumière Foret," in render("appointment_reminder", "fr", named).sms
    assert sms_length(render("appointment_reminder", "fr", named).sms).encoding == "GSM-7"
    assert "Forêt 🌲" in render("appointment_reminder", "fr", emoji).sms


def test_appointment_facts_need_aware_times_and_a_real_zone() -> None:
    context = sample_context("appointment_confirmation", "fr")
    assert isinstance(context.appointment, AppointmentFacts)

    with pytest.raises(ValueError, match="aware"):
        replace(context.appointment, starts_at=datetime(2027, 3, 9, 10, 0))
    with pytest.raises(ValueError, match="time zone"):
        replace(context.appointment, timezone="Europe/Atlantis")


# -- orders -------------------------------------------------------------------------------------------------

ORDERS = ("order_confirmation", "order_ready_for_pickup", "order_pickup_reminder", "order_not_collected")
ORDER_URL = "https://www.maison-lumiere.fr/compte/commandes/CMD-2027-000123"
PARIS_JULY_EVENING = datetime(2027, 7, 24, 18, 0, tzinfo=UTC)  # 20:00 in Paris (summer time)


def _order(template: str, lang: str = "fr", **changes: object) -> MessageContext:
    context = sample_context(template, lang)
    assert context.order is not None
    return replace(context, order=replace(context.order, **changes))  # type: ignore[arg-type]


def test_the_order_samples_are_a_paris_shop_s_order_of_three_lines_in_euros() -> None:
    for template in ORDERS:
        order = sample_context(template, "fr").order
        assert order is not None and order.place_name == "Maison Lumière Marais"
        assert [(line.name, line.quantity) for line in order.lines] == [
            ("Suspension Opaline", 1),
            ("Ampoule à filament LED E27", 3),
            ("Lampe à poser Céleste", 1),
        ]
        assert order.total == sum(line.total for line in order.lines) == Decimal("316.70")
        assert order.currency == "EUR" and order.timezone == "Europe/Paris"


def test_the_order_confirmation_reads_in_french() -> None:
    rendered = render("order_confirmation", "fr", sample_context("order_confirmation", "fr"))

    assert rendered.subject == "Merci pour votre commande CMD-2027-000123"
    assert rendered.push_title == "Merci pour votre commande"
    assert rendered.push_body == f"Votre commande CMD-2027-000123 (316,70{NBSP}€) est confirmée."
    assert rendered.text.splitlines()[3:8] == [
        "Merci pour votre commande",
        "",
        "Bonjour Claire,",
        "",
        "Nous avons bien reçu votre commande CMD-2027-000123 et la préparons avec soin.",
    ]
    assert (
        f"Numéro de commande{NBSP}: CMD-2027-000123\n"
        f"Date de commande{NBSP}: lundi 12 juillet 2027\n"
        f"Mode de livraison{NBSP}: Retrait en magasin\n"
        f"Magasin{NBSP}: Maison Lumière Marais, 12 rue des Francs-Bourgeois, 75003 Paris\n"
    ) in rendered.text
    assert (
        f"* Ampoule à filament LED E27 ×{NBSP}3\n"
        f"  38,70{NBSP}€\n"
        "  https://www.maison-lumiere.fr/produits/ampoule-filament-e27\n"
    ) in rendered.text
    assert f"Total{NBSP}: 316,70{NBSP}€\n" in rendered.text
    assert "Nous vous préviendrons dès qu’elle sera prête chez Maison Lumière Marais.\n" in rendered.text
    assert f"Voir ma commande{NBSP}: {ORDER_URL}\n" in rendered.text
    assert ">Ampoule à filament LED E27</a>&nbsp;×&nbsp;3</p>" in rendered.html
    assert ">316,70&nbsp;€</td>" in rendered.html
    assert f'href="{ORDER_URL}"' in rendered.html and ">Voir ma commande</a>" in rendered.html


def test_the_order_confirmation_reads_in_english() -> None:
    rendered = render("order_confirmation", "en", sample_context("order_confirmation", "en"))

    assert rendered.subject == "Thank you for your order CMD-2027-000123"
    assert "Placed on: Monday 12 July 2027\nDelivery method: Click & collect\n" in rendered.text
    assert f"* Suspension Opaline ×{NBSP}1\n  €189.00\n" in rendered.text
    assert "Total: €316.70\n" in rendered.text
    assert ">€316.70</td>" in rendered.html and ">€38.70</p>" in rendered.html
    assert f"See my order: {ORDER_URL}\n" in rendered.text


@pytest.mark.parametrize(
    ("mode", "fr", "en"),
    [
        (
            "home_delivery",
            "Nous vous préviendrons dès son expédition.",
            "We will let you know as soon as it ships.",
        ),
        (
            "click_and_collect",
            "Nous vous préviendrons dès qu’elle sera prête chez Maison Lumière Marais.",
            "We will let you know as soon as it is ready for you at Maison Lumière Marais.",
        ),
        (
            "reserve_and_collect",
            f"Vos articles vous sont réservés chez Maison Lumière Marais{NBSP}: vous les réglerez sur place, "
            "au moment du retrait.",
            "Your items are reserved for you at Maison Lumière Marais: you will pay for them there when you "
            "collect them.",
        ),
    ],
)
def test_the_confirmation_says_what_happens_next_for_the_order_s_mode(mode: str, fr: str, en: str) -> None:
    french = render("order_confirmation", "fr", _order("order_confirmation", "fr", mode=mode))
    english = render("order_confirmation", "en", _order("order_confirmation", "en", mode=mode))

    assert f"\n{fr}\n" in french.text and _escaped(fr) in french.html
    assert f"\n{en}\n" in english.text and en in english.html and en in english.sms
    assert english.html.count(en) == 2  # the preheader and the body
    if mode == "home_delivery":
        assert "Shop:" not in english.text and "Magasin" not in french.text
        assert f"Mode de livraison{NBSP}: Livraison à domicile\n" in french.text


def test_order_amounts_are_formatted_by_locale() -> None:
    lines = (OrderLine(name="Lustre Cascade", quantity=2, total=Decimal("1234.50"), currency="EUR"),)

    french = render("order_confirmation", "fr", _order("order_confirmation", "fr", lines=lines))
    english = render("order_confirmation", "en", _order("order_confirmation", "en", lines=lines))

    assert f"* Lustre Cascade ×{NBSP}2\n  1{NNBSP}234,50{NBSP}€\n" in french.text
    assert ">Lustre Cascade&nbsp;×&nbsp;2</p>" in french.html  # no product page: no link, no image
    assert ">1&nbsp;234,50&nbsp;€</p>" in french.html.replace(NNBSP, "&nbsp;")
    assert 'src="' not in french.html
    assert f"* Lustre Cascade ×{NBSP}2\n  €1,234.50\n" in english.text
    assert ">€1,234.50</p>" in english.html


@pytest.mark.parametrize("template", ["order_ready_for_pickup", "order_pickup_reminder"])
def test_the_pickup_deadline_is_shown_in_the_shop_s_time_zone(template: str) -> None:
    french = render(template, "fr", _order(template, "fr", pickup_until=PARIS_JULY_EVENING))
    english = render(template, "en", _order(template, "en", pickup_until=PARIS_JULY_EVENING))

    assert f"Date limite de retrait{NBSP}: samedi 24 juillet 2027 à 20:00\n" in french.text
    assert "Collect by: Saturday 24 July 2027 at 20:00\n" in english.text
    assert ">samedi 24 juillet 2027 à 20:00</td>" in french.html
    assert "Saturday 24 July 2027 at 20:00" in english.sms and "20:00" in english.push_body
    assert "18:00" not in french.text + french.html + french.sms + english.text + english.html + english.sms


def test_a_shop_in_another_zone_shows_its_own_deadline() -> None:
    context = _order(
        "order_ready_for_pickup",
        "en",
        pickup_until=PARIS_JULY_EVENING,
        timezone="America/Guadeloupe",
        placed_at=datetime(2027, 7, 13, 2, 0, tzinfo=UTC),
    )

    rendered = render("order_ready_for_pickup", "en", context)

    assert "Collect by: Saturday 24 July 2027 at 14:00\n" in rendered.text


def test_the_ready_message_says_where_until_when_and_what_to_bring() -> None:
    french = render("order_ready_for_pickup", "fr", sample_context("order_ready_for_pickup", "fr"))
    english = render("order_ready_for_pickup", "en", sample_context("order_ready_for_pickup", "en"))

    assert french.subject == "Votre commande CMD-2027-000123 est prête"
    assert french.push_title == "Votre commande est prête"
    assert french.push_body == "À retirer chez Maison Lumière Marais jusqu’au samedi 24 juillet 2027 à 20:00."
    assert (
        f"Bonne nouvelle{NBSP}: votre commande CMD-2027-000123 vous attend chez Maison Lumière Marais.\n"
        in french.text
    )
    assert f"Magasin{NBSP}: Maison Lumière Marais, 12 rue des Francs-Bourgeois, 75003 Paris\n" in french.text
    assert (
        f"Donnez simplement votre numéro de commande, CMD-2027-000123, en caisse{NBSP}: inutile d’imprimer "
        "cet e-mail ou de présenter un QR code.\n"
    ) in french.text
    assert "12 rue des Francs-Bourgeois, 75003 Paris</span>" in french.html
    assert "régl" not in french.text and "pay" not in english.text.lower()  # paid online
    assert english.sms == (
        "Maison Lumière: your order CMD-2027-000123 is ready at Maison Lumière Marais, 12 rue des "
        "Francs-Bourgeois, 75003 Paris. Collect it by Saturday 24 July 2027 at 20:00."
    )


def test_an_order_paid_at_pickup_says_how_much_to_pay_at_the_shop() -> None:
    context = _order("order_ready_for_pickup", "fr", mode="reserve_and_collect", payment_at_pickup=True)

    rendered = render("order_ready_for_pickup", "fr", context)

    assert f"À régler en magasin{NBSP}: 316,70{NBSP}€\n" in rendered.text
    assert (
        f"Vous réglez votre commande en magasin, au moment du retrait{NBSP}: 316,70{NBSP}€.\n"
        in rendered.text
    )
    assert ">À régler en magasin</td>" in rendered.html
    assert rendered.sms == (
        "Maison Lumière : votre commande CMD-2027-000123 est prete chez Maison Lumière Marais, 12 rue des "
        "Francs-Bourgeois, 75003 Paris. Retrait possible jusqu'au samedi 24 juillet 2027 à 20:00. "
        "Paiement en magasin : 316,70 €."
    )


def test_a_pickup_without_a_deadline_is_announced_without_one() -> None:
    context = _order("order_ready_for_pickup", "en", pickup_until=None)

    rendered = render("order_ready_for_pickup", "en", context)

    assert "Collect by" not in rendered.text and "We are keeping it" not in rendered.html
    assert rendered.push_body == "Collect it at Maison Lumière Marais."
    assert rendered.sms.endswith(
        "is ready at Maison Lumière Marais, 12 rue des Francs-Bourgeois, 75003 Paris."
    )


def test_the_pickup_reminder_is_short() -> None:
    french = render("order_pickup_reminder", "fr", sample_context("order_pickup_reminder", "fr"))
    english = render("order_pickup_reminder", "en", sample_context("order_pickup_reminder", "en"))

    assert french.subject == f"Rappel{NBSP}: votre commande CMD-2027-000123 vous attend"
    assert english.push_title == "Your order is waiting for you"
    assert (
        f"Pensez à la retirer avant le samedi 24 juillet 2027 à 20:00{NBSP}: passé ce délai, ses articles "
        "seront remis en rayon.\n"
    ) in french.text
    assert french.sms == (
        "Maison Lumière : votre commande CMD-2027-000123 vous attend toujours chez Maison Lumière Marais "
        "jusqu'au samedi 24 juillet 2027 à 20:00."
    )
    assert english.sms == (
        "Maison Lumière: your order CMD-2027-000123 is still waiting for you at Maison Lumière Marais until "
        "Saturday 24 July 2027 at 20:00."
    )


def test_the_not_collected_message_releases_the_payment_and_offers_to_order_again() -> None:
    french = render("order_not_collected", "fr", sample_context("order_not_collected", "fr"))
    english = render("order_not_collected", "en", sample_context("order_not_collected", "en"))

    assert french.subject == "Votre commande CMD-2027-000123 n’a pas été retirée"
    assert (
        f"Votre commande CMD-2027-000123 n’a pas été retirée à temps chez Maison Lumière Marais{NBSP}: ses "
        "articles ont donc été remis en rayon.\n"
    ) in french.text
    assert "Si un montant avait été bloqué sur votre carte bancaire, il a été débloqué.\n" in french.text
    assert "If a payment was held on your card, it has been released." in english.html
    assert f"Order again: {ORDER_URL}\n" in english.text
    assert f'href="{ORDER_URL}"' in english.html and ">Order again</a>" in english.html
    assert "Total" not in english.text and "Total" not in english.html  # nothing was charged
    assert english.sms == (
        "Maison Lumière: your order CMD-2027-000123 was not collected in time and its items are back on the "
        f"shelves. Order again: {ORDER_URL}"
    )


@pytest.mark.parametrize("template", ORDERS)
def test_an_order_message_says_why_it_was_sent_and_has_no_unsubscribe_link(template: str) -> None:
    french = render(template, "fr", sample_context(template, "fr"))
    english = render(template, "en", sample_context(template, "en"))

    assert "Vous recevez ce message car vous avez passé commande chez Maison Lumière." in french.html
    assert "You receive this message because you placed an order with Maison Lumière.\n" in english.text
    assert "rendez-vous" not in french.text and "appointment" not in english.text
    assert "désabonn" not in french.html.lower() and "unsubscribe" not in english.html.lower()
    assert "STOP" not in french.sms and "STOP" not in english.sms


@pytest.mark.parametrize("template", ORDERS)
def test_an_order_message_without_its_order_is_refused(template: str) -> None:
    context = replace(sample_context(template, "fr"), order=None)

    with pytest.raises(ValueError, match="order"):
        render(template, "fr", context)


@pytest.mark.parametrize(
    "template", ["order_ready_for_pickup", "order_pickup_reminder", "order_not_collected"]
)
def test_a_pickup_message_for_a_home_delivery_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="home delivery"):
        render(template, "fr", _order(template, mode="home_delivery"))


def test_an_appointment_message_still_needs_its_appointment_when_given_an_order() -> None:
    context = replace(sample_context("order_confirmation", "fr"), appointment=None)

    with pytest.raises(ValueError, match="appointment"):
        render("appointment_confirmation", "fr", context)


def test_an_order_line_s_link_that_is_not_http_is_refused() -> None:
    line = OrderLine(name="Lampe", quantity=1, total=Decimal("89.00"), currency="EUR", url="javascript:x")

    with pytest.raises(ValueError, match="http"):
        render("order_confirmation", "en", _order("order_confirmation", "en", lines=(line,)))


def test_hostile_order_line_names_are_escaped_in_the_html() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    line = OrderLine(name=hostile, quantity=1, total=Decimal("89.00"), currency="EUR")

    rendered = render("order_confirmation", "en", _order("order_confirmation", "en", lines=(line,)))

    assert "<img src=x" not in rendered.html and "&lt;img src=x onerror=" in rendered.html
    assert re.findall(r'\bsrc="([^"]*)"', rendered.html) == []
    assert f"* {hostile} ×" in rendered.text


def test_order_facts_are_checked() -> None:
    context = sample_context("order_confirmation", "fr")
    assert isinstance(context.order, OrderFacts)

    with pytest.raises(ValueError, match="mode"):
        replace(context.order, mode="drone")
    with pytest.raises(ValueError, match="aware"):
        replace(context.order, pickup_until=datetime(2027, 7, 24, 20, 0))
    with pytest.raises(ValueError, match="time zone"):
        replace(context.order, timezone="Europe/Atlantis")
    with pytest.raises(ValueError, match="place_name"):
        replace(context.order, place_name="")
    with pytest.raises(ValueError, match="at least one line"):
        replace(context.order, lines=())
    with pytest.raises(ValueError, match="quantity"):
        OrderLine(name="Lampe", quantity=0, total=Decimal("0.00"), currency="EUR")
    with pytest.raises(ValueError, match="ISO 4217"):
        OrderLine(name="Lampe", quantity=1, total=Decimal("89.00"), currency="euro")
    assert replace(context.order, mode="home_delivery", place_name="").place_name == ""


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_longest_order_sms_fits_in_two_gsm7_segments(lang: str) -> None:
    context = _order(
        "order_ready_for_pickup",
        lang,
        number="CMD-2027-0001234567",
        mode="reserve_and_collect",
        payment_at_pickup=True,
        total=Decimal("12345.60"),
        place_name="Maison Lumière Saint-Germain-des-Prés",
        place_address="145 boulevard Saint-Germain, 75006 Paris",
        pickup_until=datetime(2027, 9, 29, 17, 30, tzinfo=UTC),  # a long weekday and month
    )

    length = sms_length(render("order_ready_for_pickup", lang, context).sms)

    assert length.encoding == "GSM-7" and length.segments <= 2
