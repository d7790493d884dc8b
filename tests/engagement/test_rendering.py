"""The journeys' messages, rendered without a database: every template in French and English from the
preview's sample, times in the place's time zone, prices and the Omnibus reference by locale, the footer's
links by purpose, inlined CSS and no outside resource but the products' images, escaping, and SMS texts
that carry the opt-out mention and fit in two GSM-7 segments."""

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
    ProductBlock,
    Rendered,
    UnknownTemplate,
    render,
    sample_context,
)

NBSP, NNBSP = "\u00a0", "\u202f"
MARKETING = ("appointment_report", "appointment_follow_up")
TRANSACTIONAL = ("appointment_confirmation", "appointment_reminder")
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


def _shown_products(template: str, context: MessageContext) -> list[ProductBlock]:
    kinds = {"appointment_report": ("shown", "recommended"), "appointment_follow_up": ("new",)}
    return [p for kind in kinds.get(template, ()) for p in context.products if p.kind == kind]


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
