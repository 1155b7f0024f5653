"""nianbao's read-only web interface and JSON API (FastAPI + Jinja2 templates, no JavaScript)."""

from nianbao.web.app import create_app

__all__ = ["create_app"]
