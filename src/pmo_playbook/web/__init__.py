"""The HTTP edge: `create_app()`, JSON API routes (legacy paths) and HTML pages."""

from pmo_playbook.web.app import create_app, register_extension
from pmo_playbook.web.pages import install_pages

register_extension(install_pages)  # the HTML pages are part of every app

__all__ = ["create_app"]
