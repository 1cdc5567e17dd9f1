"""Who may export what (O2, R11): pure rules over facts the store looked up.

Callers who cannot see the organization at all get 404 before these rules run, so a refusal
here only ever speaks about an organization the caller already knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from exportd.domain.vocabulary import COMPLIANCE_MANAGEMENT, ENTERPRISE_TIERS
from exportd.errors import Forbidden, InvalidRequest


@dataclass(frozen=True)
class ExportingCaller:
    """What the rules need to know about the caller and the organization to export."""

    is_service_account: bool
    organization_name: str
    is_organization: bool
    plan: str
    add_ons: tuple[str, ...] = ()


def check_organization_export(caller: ExportingCaller) -> None:
    """O2: only service accounts of the organization, and only Enterprise organizations."""
    if not caller.is_organization:
        raise InvalidRequest(
            f"organization: {caller.organization_name} is a personal workspace, not an "
            "organization; only organizations can be exported"
        )
    if not caller.is_service_account:
        raise Forbidden(
            "Only service accounts of this organization can export it; "
            "ask an admin to create one (exportd service-account create)"
        )
    if caller.plan not in ENTERPRISE_TIERS:
        raise Forbidden(
            "Organization exports are available to Enterprise organizations only; "
            f"{caller.organization_name} is on the {caller.plan} plan"
        )


def check_resource_export(caller: ExportingCaller) -> None:
    """R11: service accounts of Enterprise+ organizations or of ones with Compliance Management."""
    if not caller.is_service_account:
        raise Forbidden(
            "Only service accounts of this organization can export its resources; "
            "ask an admin to create one (exportd service-account create)"
        )
    if caller.plan != "enterprise_plus" and COMPLIANCE_MANAGEMENT not in caller.add_ons:
        raise Forbidden(
            "Resource exports are available to Enterprise+ organizations and to organizations "
            f"with the Compliance Management add-on; {caller.organization_name} has neither"
        )


def check_graph_export(caller: ExportingCaller) -> None:
    """G1: any user who can see the parent, in Enterprise and Enterprise+ organizations."""
    if caller.plan not in ENTERPRISE_TIERS:
        raise Forbidden(
            "Graph exports are available to Enterprise and Enterprise+ organizations; "
            f"{caller.organization_name} is on the {caller.plan} plan"
        )
