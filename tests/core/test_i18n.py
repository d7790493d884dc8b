"""Message catalogues: compiled once per process and language."""


def test_a_catalogue_is_compiled_once_per_language():
    """Pages translate hundreds of labels per request: the catalogue must not be parsed each time."""
    from comptoir.core.i18n import translations

    first = translations("comptoir.orders", "fr")
    assert translations("comptoir.orders", "fr-FR") is first
    assert translations("comptoir.orders", "fr_CA") is first
