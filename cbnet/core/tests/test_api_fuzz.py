"""Fuzz the whole API from its own OpenAPI schema: nothing a client sends may produce a 500.

schemathesis generates requests for every operation in ``/api/schema/`` (valid ones and
deliberately invalid ones), sends them in-process to the WSGI application as a
Secretariat officer, and checks each answer. Deterministic (``derandomize``) with a fixed
number of examples per operation; PostgreSQL leg only (``make test``).
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
from cbnet.core.testing import factories

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def seeded(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    net = factories.network()
    fuzzer = factories.member(
        "fuzz.secretariat", net.secretariat_org, "secretariat_officer", family_name="Fuzz"
    )
    # A superuser too, so that archiving or purging its own appointment mid-run (the fuzzer
    # may pick any id) does not turn the rest of the run into 403s.
    fuzzer.is_superuser = True
    fuzzer.save()
    framework = Framework.objects.create(code="diag", kind="diagnostic", name="Diagnostic")
    area = Area.objects.create(framework=framework, code="1", name="Strategic management")
    Area.objects.create(framework=framework, parent=area, code="1.1", name="Planning")
    scale = MaturityScale.objects.create(code="maturity", name="Maturity")
    for level in range(5):
        MaturityLevel.objects.create(scale=scale, level=level, name=f"L{level}", descriptor="...")
    for index in range(3):
        person = factories.person("Fuzz", f"Target{index}", net.uruguay)
        factories.appointment(person, net.uruguay, "staff")
    return Token.objects.create(user=fuzzer).key


def existing_ids(path):
    """Primary keys of rows behind a detail path, so that some cases address real rows."""
    from django.urls import resolve

    match = resolve(path.replace("{id}", "1"))
    viewset = getattr(match.func, "cls", None)
    queryset = getattr(viewset, "queryset", None)
    if queryset is None:
        return []
    return list(queryset.model._default_manager.order_by("pk").values_list("pk", flat=True)[:5])


def test_no_request_produces_a_server_error(seeded, wsgi_without_connection_close):
    application = get_wsgi_application()
    auth = {"Authorization": f"Token {seeded}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=auth)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        if "{id}" in operation.path:
            strategies += [
                operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"id": pk})
                for pk in existing_ids(operation.path)
            ]
        failures += fuzz_operation(operation, st.one_of(strategies), auth)
    assert operations >= 40, "the schema lost operations"
    assert not failures, "\n\n".join(failures)


def fuzz_operation(operation, strategy, auth):
    failures = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, current_version=st.booleans())
    def run(case, current_version):
        if current_version and case.method in ("PUT", "PATCH") and isinstance(case.body, dict):
            version = current_row_version(case)
            if version is not None:
                case.body["version"] = version  # reach the save, not only the 409
        response = case.call(headers=auth)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # collect, so one run reports every failing operation
            failures.append(f"{operation.label}: {exc}")

    try:
        run()
    except Exception as exc:  # a strategy that cannot generate: report, do not hide
        failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
    return failures[:3]


def current_row_version(case):
    from django.urls import resolve

    try:
        match = resolve(case.formatted_path)
    except Exception:
        return None
    viewset = getattr(match.func, "cls", None)
    queryset = getattr(viewset, "queryset", None)
    pk = match.kwargs.get("pk")
    if queryset is None or pk is None or not str(pk).isdigit():
        return None
    row = queryset.model._default_manager.filter(pk=int(pk)).values_list("version", flat=True)
    return row.first()
