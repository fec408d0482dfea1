"""What every part of the REST API shares: the error body, preconditions, pagination,
throttles, the schema's conventions and the URL converters. No domain rules live here;
each app's `api.py` holds its own endpoints."""

API_VERSION = "1"
