"""The HTTP edge: `create_app()`, JSON API routes (legacy paths) and HTML pages."""

from pmo_playbook.web.app import create_app

__all__ = ["create_app"]
