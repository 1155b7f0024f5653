"""Errors of the web interface: never a 500 for a number too large, and the site's page (not JSON) in a browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from nianbao.web import create_app
from tests.support.sample_archive import load

HUGE = "9" * 20  # beyond any 64-bit integer


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One sample archive for the module: every test only reads (GET) through the web app."""
    archive, _ = load(f"sqlite:///{tmp_path_factory.mktemp('web_errors') / 'archive.db'}")
    with TestClient(create_app(archive), raise_server_exceptions=False) as c:
        yield c


def is_site_page(response: object) -> bool:
    text = getattr(response, "text", "")
    return getattr(response, "headers", {}).get("content-type", "").startswith("text/html") \
        and '<a class="home" href="/">nianbao 年报</a>' in text


@pytest.mark.parametrize("path", [f"/reports/{HUGE}", f"/reports/-{HUGE}", "/reports/0"])
def test_oversized_report_ids_are_404_pages(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and is_site_page(r)
    assert client.get("/api" + path).status_code == 404


@pytest.mark.parametrize(("path", "params"), [
    ("/", {"year": HUGE}), ("/", {"page": HUGE}), ("/", {"q": "年度报告", "year": "-" + HUGE}),
    ("/api/search", {"year": HUGE}), ("/api/search", {"offset": HUGE}), ("/api/search", {"limit": HUGE}),
])
def test_oversized_query_integers_are_422(client: TestClient, path: str, params: dict[str, str]) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 422, r.text
    if path.startswith("/api/"):
        assert r.headers["content-type"] == "application/json"
    else:
        assert is_site_page(r) and "bad" in r.text


def test_not_found_is_the_site_page_in_a_browser_and_json_under_api(client: TestClient) -> None:
    for path in ("/no/such/page", "/reports/999999", "/portals/nowhere"):
        r = client.get(path)
        assert r.status_code == 404 and is_site_page(r), path
    api = client.get("/api/reports/999999")
    assert api.status_code == 404 and api.json() == {"detail": "no report with id 999999"}
    assert client.get("/api/nothing").json() == {"detail": "Not Found"}
