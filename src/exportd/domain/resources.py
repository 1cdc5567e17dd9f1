"""The resource types of the API and the fields each one shows.

One table per resource type drives what the API returns by default, which `opt_fields`
paths are valid, and what an export writes: no field list is written twice. Field names
follow the `*Compact` / `*Response` schemas of the reference spec (a unit test checks it);
fields of the spec that describe features exportd does not hold (templates, custom types,
reactions…) are left out, and so are attachments' `download_url` and
`view_url`: exportd holds attachment metadata only, and exports never include them.

A field either holds a plain value or refers to other objects (one object or a list); a
reference names the resource type it points to, so dotted paths (`assignee.name`) resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Resource:
    """One resource type: its compact fields, its full fields, fields shown only when asked
    for (`optional`), and where references lead."""

    resource_type: str
    compact: tuple[str, ...]
    full: tuple[str, ...]
    references: Mapping[str, str] = field(default_factory=dict)
    optional: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        missing = (set(self.compact) | set(self.references)) - set(self.selectable)
        if missing:
            raise ValueError(f"{self.resource_type}: {sorted(missing)} not among its fields")

    @property
    def selectable(self) -> tuple[str, ...]:
        """Every field `opt_fields` (or an export's `fields`) may name."""
        return self.full + self.optional


def _resource(
    resource_type: str, compact: str, full: str, optional: str = "", **references: str
) -> Resource:
    compact_fields = tuple(compact.split())
    return Resource(
        resource_type,
        compact_fields,
        compact_fields + tuple(full.split()),
        references,
        tuple(optional.split()),
    )


_NAMED = "gid resource_type name"

RESOURCES: dict[str, Resource] = {
    r.resource_type: r
    for r in (
        _resource(
            "workspace", _NAMED, "email_domains is_organization"
        ),
        _resource(
            "user", _NAMED, "email photo workspaces", workspaces="workspace"
        ),
        _resource(
            "workspace_membership",
            "gid resource_type user workspace",
            "is_active is_admin is_guest created_at",
            user="user", workspace="workspace",
        ),
        _resource(
            "team",
            _NAMED,
            "description html_description organization permalink_url visibility members",
            organization="workspace", members="user",
        ),
        _resource(
            "team_membership",
            "gid resource_type user team is_guest is_limited_access is_admin",
            "",
            user="user", team="team",
        ),
        _resource(
            "project",
            _NAMED,
            "archived color created_at current_status_update custom_field_settings "
            "default_view due_on html_notes members modified_at notes public privacy_setting "
            "start_on default_access_level completed completed_at completed_by followers owner "
            "team permalink_url workspace",
            current_status_update="status_update", custom_field_settings="custom_field_setting",
            members="user", completed_by="user", followers="user", owner="user", team="team",
            workspace="workspace",
        ),
        _resource(
            "project_membership",
            "gid resource_type parent member access_level",
            "",
            parent="project", member="user",
        ),
        _resource(
            "custom_field_setting",
            "gid resource_type",
            "project is_important parent custom_field",
            project="project", parent="project", custom_field="custom_field",
        ),
        _resource(
            "section", _NAMED, "created_at project projects", project="project", projects="project"
        ),
        _resource(
            "portfolio",
            _NAMED,
            "archived color start_on due_on default_access_level created_at created_by "
            "current_status_update members owner workspace permalink_url public privacy_setting "
            "items",
            created_by="user", current_status_update="status_update", members="user",
            owner="user", workspace="workspace", items="project",
        ),
        _resource(
            "portfolio_membership",
            "gid resource_type parent member access_level",
            "",
            parent="portfolio", member="user",
        ),
        _resource(
            "goal",
            "gid resource_type name owner",
            "html_notes notes due_on start_on is_workspace_level liked likes num_likes team "
            "workspace followers current_status_update status privacy_setting",
            owner="user", likes="like", team="team", workspace="workspace", followers="user",
            current_status_update="status_update",
        ),
        _resource(
            "goal_relationship",
            "gid resource_type resource_subtype supporting_resource contribution_weight",
            "supported_goal",
            supporting_resource="project", supported_goal="goal",
        ),
        _resource(
            # A project or a portfolio in a portfolio (graph exports): `item` at `position`.
            "project_to_portfolio", "gid resource_type portfolio item position", "",
            portfolio="portfolio", item="project",
        ),
        _resource(
            "portfolio_to_portfolio", "gid resource_type portfolio item position", "",
            portfolio="portfolio", item="portfolio",
        ),
        _resource(
            "allocation",
            "gid resource_type start_date end_date effort",
            "assignee created_by parent resource_subtype",
            assignee="user", created_by="user", parent="project",
        ),
        _resource(
            "time_tracking_entry",
            "gid resource_type duration_minutes entered_on attributable_to created_by categories",
            "task created_at approval_status billable_status description",
            attributable_to="project", created_by="user", categories="time_tracking_category",
            task="task",
        ),
        _resource("time_tracking_category", "gid resource_type name color", ""),
        _resource(
            "tag",
            _NAMED,
            "color notes created_at followers workspace permalink_url",
            followers="user", workspace="workspace",
        ),
        _resource(
            "custom_field",
            "gid resource_type name type enum_options enabled representation_type "
            "is_formula_field date_value enum_value multi_enum_values number_value text_value "
            "display_value",
            "description precision format is_global_to_workspace has_notifications_enabled "
            "created_by people_value resource_subtype",
            enum_options="enum_option", enum_value="enum_option",
            multi_enum_values="enum_option", created_by="user", people_value="user",
        ),
        _resource("enum_option", "gid resource_type name enabled color", ""),
        _resource("like", "gid user", "", user="user"),
        _resource(
            "task",
            "gid resource_type name resource_subtype created_by",
            "approval_status assignee_status assigned_by completed completed_at completed_by "
            "created_at dependencies dependents due_at due_on html_notes hearted hearts liked "
            "likes memberships modified_at notes num_hearts num_likes num_subtasks start_at "
            "start_on assignee assignee_section custom_fields followers parent projects tags "
            "workspace permalink_url",
            # Resource exports add a task's attachments and stories (seed 002, R3).
            optional="attachments stories",
            attachments="attachment", stories="story",
            created_by="user", assigned_by="user", completed_by="user", dependencies="task",
            dependents="task", hearts="like", likes="like", memberships="task_membership",
            assignee="user", assignee_section="section", custom_fields="custom_field",
            followers="user", parent="task", projects="project", tags="tag",
            workspace="workspace",
        ),
        _resource(
            # Not an object of its own (no gid): where a task sits, as the API shows it.
            "task_membership", "project section", "", project="project", section="section"
        ),
        _resource(
            "story",
            "gid resource_type created_at created_by resource_subtype text",
            "html_text is_pinned sticker_name type is_editable is_edited hearted hearts "
            "num_hearts liked likes num_likes old_name new_name source target",
            created_by="user", hearts="like", likes="like", target="task",
        ),
        _resource(
            "attachment",
            "gid resource_type name resource_subtype",
            "created_at permanent_url host parent size connected_to_app",
            parent="task",
        ),
        _resource(
            "status_update",
            "gid resource_type title resource_subtype",
            "text html_text status_type author created_at created_by hearted hearts liked likes "
            "modified_at num_hearts num_likes parent",
            author="user", created_by="user", hearts="like", likes="like", parent="project",
        ),
        _resource(
            # Seed 002's message schema: default messages and status updates alike.
            "message",
            "gid resource_type resource_subtype",
            "status_type created_by created_at modified_at title text html_notes num_likes likes "
            "stories attachments followers parents",
            created_by="user", likes="like", stories="story", attachments="attachment",
            followers="user", parents="project",
        ),
        _resource(
            "organization_export",
            "gid resource_type created_at download_url state organization",
            "",
            "progress",  # an exportd extension (api/progress.py), shown only when asked
            organization="workspace",
        ),
        _resource(
            "resource_export", "gid resource_type created_at download_url completed_at", ""
        ),
        _resource(
            "graph_export", "gid resource_type created_at download_url completed_at", ""
        ),
        _resource(
            # A resource export's job shows `new_resource_export`, a graph export's
            # `new_graph_export`.
            "job",
            "gid resource_type resource_subtype status new_resource_export new_graph_export",
            "",
            "progress",  # an exportd extension (api/progress.py), shown only when asked
            new_resource_export="resource_export", new_graph_export="graph_export",
        ),
    )
}  # fmt: skip


def resource(resource_type: str) -> Resource:
    return RESOURCES[resource_type]
