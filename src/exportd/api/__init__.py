"""HTTP only: the app factory, authentication, the envelope, one module per resource."""

from exportd.api.app import create_app

__all__ = ["create_app"]
