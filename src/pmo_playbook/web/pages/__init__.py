"""Server-rendered HTML pages (Jinja2 + htmx) over the same services as the JSON API.

`create_app` calls `install_pages`: it mounts the vendored static files, the page routers
and the HTML error pages.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pmo_playbook.config import Settings
from pmo_playbook.web.pages import (
    admin_analytics,
    admin_feedback,
    admin_gap_proposals,
    admin_projects,
    admin_proposals,
    admin_sop_lifecycle,
    admin_sops,
    admin_users,
    chat,
    my_reports,
    projects,
    sops,
)
from pmo_playbook.web.pages.errors import install_page_errors
from pmo_playbook.web.pages.rendering import STATIC_DIR

PAGE_MODULES = (
    sops,
    projects,
    chat,
    admin_sop_lifecycle,
    admin_sops,
    admin_feedback,
    admin_gap_proposals,
    admin_proposals,
    admin_projects,
    admin_analytics,
    admin_users,
    my_reports,
)


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Add the pages, /static and the HTML error handlers to `app`."""
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in PAGE_MODULES:
        app.include_router(module.router)
    install_page_errors(app)


__all__ = ["install_pages"]
