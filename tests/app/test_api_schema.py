"""The JSON API against its own OpenAPI document, fuzzed by schemathesis in-process (ASGI) with every check.

Schemathesis generates requests from /api/openapi.json — valid ones and deliberately invalid ones — and checks
each answer: no server error, only documented status codes and content types, bodies that match the response
schemas, invalid input refused and valid input accepted. Hypothesis runs derandomized with a small budget, so
the test is deterministic and quick.
"""

from __future__ import annotations

import hashlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks

from nianbao.web import create_app
from storage import ReportRecord
from tests.support.sample_archive import SAMPLES, load

MAX_EXAMPLES = 25  # per operation and mode: enough to find every failure the fuzzer found before, in seconds


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    """The sample archive with one recorded crawl run (an edit found, an error), served in-process; one for the
    module (the JSON API only reads the archive)."""
    archive, _ = load(f"sqlite:///{tmp_path_factory.mktemp('api_schema') / 'archive.db'}")
    run_id = archive.start_run(["daan"])
    edited = SAMPLES[3].body + "\n更正：数据有误。"
    archive.record(ReportRecord(url=SAMPLES[3].url, content_sha256=hashlib.sha256(edited.encode()).hexdigest(),
                                body=edited, title=SAMPLES[3].title, portal="daan", run_id=run_id))
    archive.finish_run(run_id, "finished", {"nianbao/portal/daan/list_pages": 1},
                       [{"portal": "daan", "url": "http://www.daan.nianbao.test/list_2.html", "stage": "list",
                         "reason": "HTTP 503"}])
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(archive))


def test_every_check_is_on() -> None:
    """call_and_validate runs the configured checks: by default all of them (what `run --checks all` does)."""
    load_all_checks()
    config = schemathesis.Config().projects.default.checks
    assert len(CHECKS.get_all_names()) >= 10
    assert all(config.get_by_name(name=name).enabled for name in CHECKS.get_all_names())


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_api_holds_to_its_schema(api_schema: schemathesis.BaseSchema, mode: GenerationMode) -> None:
    """Every operation, valid (positive) or invalid (negative) requests; every failure is collected and shown.

    (Schemathesis' own ``@schema.parametrize`` trips over pytest 9.2's node ids, hence one Hypothesis test per
    operation here, built from ``as_strategy``: the same generator and the same checks.)"""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/search", "/api/reports/{report_id}", "/api/portals/{name}",
                                              "/api/runs", "/api/runs/{run_id}", "/api/compliance"}
    failures: list[str] = []
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate()

        try:
            check()
        except Unsatisfiable:  # no request can break this schema (a free string in the path): nothing to send
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup: the checks that failed, a curl to replay
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
