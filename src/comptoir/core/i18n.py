"""Translations (Babel gettext catalogues per domain, French and English) and locale formatting.

Message ids are English. Each package that shows text keeps ``<package>/locale/fr/LC_MESSAGES/messages.po``
(``make i18n`` extracts new strings and updates the catalogues). Catalogues are compiled in memory
when first used, so no binary ``.mo`` file lives in the repository.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

SUPPORTED_LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
EXTRACTION_METHODS = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
]
EXTRACTION_OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def language_of(locale: str | None) -> str:
    """``"fr_FR"``, ``"fr-CA"`` or ``"fr"`` → ``"fr"``; anything unsupported → the default language."""
    if not locale:
        return DEFAULT_LANGUAGE
    lang = locale.replace("-", "_").split("_", 1)[0].lower()
    return lang if lang in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick fr or en from an ``Accept-Language`` header (quality values honoured)."""
    if not accept_language:
        return language_of(default)
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang = tag.strip().replace("-", "_").split("_", 1)[0].lower()
        if lang in SUPPORTED_LANGUAGES and quality > 0:
            choices.append((-quality, index, lang))
    return sorted(choices)[0][2] if choices else language_of(default)


def _catalogue_path(package: str, lang: str) -> Path:
    return Path(str(resources.files(package))) / "locale" / lang / "LC_MESSAGES" / "messages.po"


def N_(message: str) -> str:
    """Mark a message id for extraction (``make i18n``) where it is translated later, when rendered."""
    return message


def translations(package: str, locale: str | None) -> NullTranslations:
    """The gettext translations of ``package`` (e.g. ``"comptoir.orders"``) for a locale; English is identity.

    Domains write ``t = translations(__package__, locale)`` then ``t.gettext("Your receipt")`` so that
    ``make i18n`` finds the message ids. Each catalogue is compiled once per process and language.
    """
    return _compiled(package, language_of(locale))


@lru_cache(maxsize=128)
def _compiled(package: str, lang: str) -> NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = _catalogue_path(package, lang)
    if lang == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def babel_locale(locale: str | None) -> Locale:
    """A Babel locale for formatting: ``fr`` → fr_FR, ``en`` → en_GB unless a region is given."""
    raw = (locale or DEFAULT_LANGUAGE).replace("-", "_")
    if "_" not in raw:
        raw = {"fr": "fr_FR", "en": "en_GB"}.get(raw.lower(), "fr_FR")
    try:
        return Locale.parse(raw)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("fr_FR")


def format_money(amount: Decimal | str, currency: str, locale: str | None) -> str:
    """``format_money("1234.5", "EUR", "fr")`` → ``"1 234,50 €"``; ``"en"`` → ``"€1,234.50"``."""
    return str(format_currency(Decimal(amount), currency, locale=babel_locale(locale)))


def format_number(value: Decimal | int | float, locale: str | None) -> str:
    return str(format_decimal(value, locale=babel_locale(locale)))


def format_when(
    value: date | datetime, locale: str | None, fmt: str = "medium", tz: str | None = None
) -> str:
    if isinstance(value, datetime):
        return str(
            format_datetime(value, fmt, tzinfo=get_timezone(tz) if tz else None, locale=babel_locale(locale))
        )
    return str(format_date(value, fmt, locale=babel_locale(locale)))


def untranslated(package: str, lang: str = "fr") -> list[str]:
    """Message ids used in ``package``'s code and templates that its catalogue does not translate."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(str(resources.files(package)))
    used = {
        message if isinstance(message, str) else message[0]
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            root, method_map=EXTRACTION_METHODS, options_map=EXTRACTION_OPTIONS
        )
    }
    path = _catalogue_path(package, lang)
    if not path.exists():
        return sorted(used)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and not m.fuzzy
    }
    return sorted(used - translated)


def update_catalogue(package: str, lang: str = "fr") -> Path | None:
    """Extract ``package``'s message ids and merge them into its catalogue, keeping existing translations."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po, write_po

    root = Path(str(resources.files(package)))
    template = Catalog(project="Comptoir", domain="messages")
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map=EXTRACTION_METHODS, options_map=EXTRACTION_OPTIONS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    path = _catalogue_path(package, lang)
    if not len(template) and not path.exists():
        return None
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = Catalog(locale=lang, project="Comptoir", domain="messages")
        catalog.update(template, no_fuzzy_matching=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=110, omit_header=False, ignore_obsolete=True, include_previous=False)
    return path


if __name__ == "__main__":  # make i18n: python -m comptoir.core.i18n comptoir.core comptoir.orders …
    import sys

    for name in sys.argv[1:]:
        written = update_catalogue(name)
        if written is not None:
            print(f"{written}: {len(untranslated(name))} message(s) to translate")
