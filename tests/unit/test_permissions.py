"""Who may export an organization (O2)."""

from __future__ import annotations

import pytest

from exportd.domain.permissions import (
    ExportingCaller,
    check_graph_export,
    check_organization_export,
    check_resource_export,
)
from exportd.errors import ExportdError


@pytest.mark.parametrize("plan", ["enterprise", "enterprise_plus"])
def test_service_accounts_of_enterprise_organizations_may_export(plan: str) -> None:
    check_organization_export(ExportingCaller(True, "Acme", True, plan))


@pytest.mark.parametrize(
    ("caller", "status", "message"),
    [
        (
            ExportingCaller(False, "Acme", True, "enterprise"),
            403,
            "Only service accounts of this organization can export it",
        ),
        (
            ExportingCaller(True, "Acme", True, "business"),
            403,
            "Enterprise organizations only; Acme is on the business plan",
        ),
        (
            ExportingCaller(True, "Home", False, "personal"),
            400,
            "Home is a personal workspace, not an organization",
        ),
    ],
)
def test_refusals_say_why(caller: ExportingCaller, status: int, message: str) -> None:
    with pytest.raises(ExportdError) as raised:
        check_organization_export(caller)
    assert raised.value.status == status
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("plan", "add_ons"),
    [
        ("enterprise_plus", ()),
        ("enterprise", ("compliance_management",)),
        ("business", ("compliance_management",)),
    ],
)
def test_resource_exports_need_enterprise_plus_or_compliance(
    plan: str, add_ons: tuple[str, ...]
) -> None:
    check_resource_export(ExportingCaller(True, "Acme", True, plan, add_ons))


@pytest.mark.parametrize(
    ("caller", "message"),
    [
        (ExportingCaller(True, "Acme", True, "enterprise"), "Acme has neither"),
        (ExportingCaller(False, "Acme", True, "enterprise_plus"), "Only service accounts"),
    ],
)
def test_resource_export_refusals_say_why(caller: ExportingCaller, message: str) -> None:
    with pytest.raises(ExportdError) as raised:
        check_resource_export(caller)
    assert raised.value.status == 403
    assert message in raised.value.message


@pytest.mark.parametrize("plan", ["enterprise", "enterprise_plus"])
@pytest.mark.parametrize("service_account", [True, False])
def test_any_user_of_an_enterprise_organization_may_export_a_graph(
    plan: str, service_account: bool
) -> None:
    check_graph_export(ExportingCaller(service_account, "Acme", True, plan))


@pytest.mark.parametrize("plan", ["personal", "premium", "business"])
def test_graph_exports_of_other_plans_are_refused_with_the_plan_named(plan: str) -> None:
    with pytest.raises(ExportdError) as raised:
        check_graph_export(ExportingCaller(False, "Acme", True, plan, ("compliance_management",)))
    assert raised.value.status == 403
    assert f"Enterprise and Enterprise+ organizations; Acme is on the {plan} plan" in (
        raised.value.message
    )
