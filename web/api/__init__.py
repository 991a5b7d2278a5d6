"""The API: everything under /api/v1/ (verification by machine, its OpenAPI schema). One gate:
``access.api_client``."""
