"""The public JSON API under /api/v1 (routes.py) and its OpenAPI document (openapi.py)."""
