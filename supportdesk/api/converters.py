"""URL parts the API accepts: anything else is a 404 before a query is made (an id too
long for a database integer would otherwise fail deep inside the database driver)."""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class ReferenceConverter:
    """A case reference, e.g. ACME-00042."""

    regex = "[A-Za-z0-9][A-Za-z0-9-]{0,39}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


class CodeConverter:
    """A code from a fixed list, e.g. a fulfilment step's `enable`."""

    regex = "[a-z][a-z0-9_]{0,39}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IdConverter, "api_id")
register_converter(CodeConverter, "code")
register_converter(ReferenceConverter, "reference")
