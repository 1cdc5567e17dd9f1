"""Enumerations of the data model, as the reference spec (asana_oas.yaml) spells them.

One place for every enum the schema constrains and the seeder draws from; a unit test
checks these against the reference spec so they cannot drift.
"""

from __future__ import annotations

# Workspaces: plan tiers and add-ons decide who may export what (PRODUCT.md O2, R11).
PLAN_TIERS = ("personal", "premium", "business", "enterprise", "enterprise_plus")
ENTERPRISE_TIERS = ("enterprise", "enterprise_plus")
FREE_TIERS = ("personal",)  # a token whose user has no paid workspace gets the free quota
COMPLIANCE_MANAGEMENT = "compliance_management"
ADD_ONS = (COMPLIANCE_MANAGEMENT,)

COLORS = (
    "dark-pink", "dark-green", "dark-blue", "dark-red", "dark-teal", "dark-brown",
    "dark-orange", "dark-purple", "dark-warm-gray", "light-pink", "light-green", "light-blue",
    "light-red", "light-teal", "light-brown", "light-orange", "light-purple", "light-warm-gray",
    "none",
)  # fmt: skip

TEAM_VISIBILITIES = ("secret", "request_to_join", "public")

PROJECT_PRIVACY_SETTINGS = ("public_to_workspace", "private_to_team", "private")
PROJECT_DEFAULT_VIEWS = ("list", "board", "calendar", "timeline")
PROJECT_ACCESS_LEVELS = ("admin", "editor", "commenter", "viewer")

PORTFOLIO_PRIVACY_SETTINGS = ("public_to_domain", "members_only")
PORTFOLIO_ACCESS_LEVELS = ("admin", "editor", "viewer")

GOAL_PRIVACY_SETTINGS = ("public_to_workspace", "members_only")
GOAL_STATUSES = ("green", "yellow", "red", "missed", "achieved", "partial", "dropped")
# What supports a goal (GoalRelationship): a subgoal, or supporting work (a project or a
# portfolio); graph exports of a goal follow the supporting projects and portfolios.
GOAL_RELATIONSHIP_SUBTYPES = ("subgoal", "supporting_work")
GOAL_SUPPORTING_TYPES = ("goal", "project", "portfolio")

# Resource management: allocations of people to projects, time tracked on tasks.
ALLOCATION_SUBTYPES = ("project_allocation",)
EFFORT_TYPES = ("hours", "percent")
TIME_APPROVAL_STATUSES = ("DRAFT", "SUBMITTED", "APPROVED", "REJECTED")
BILLABLE_STATUSES = ("billable", "nonBillable", "notApplicable")

CUSTOM_FIELD_TYPES = ("text", "enum", "multi_enum", "number", "date", "people")
CUSTOM_FIELD_FORMATS = ("currency", "identifier", "percentage", "custom", "duration", "none")

TASK_SUBTYPES = ("default_task", "milestone", "approval")
APPROVAL_STATUSES = ("pending", "approved", "rejected", "changes_requested")
ASSIGNEE_STATUSES = ("today", "upcoming", "later", "new", "inbox")

STORY_TYPES = ("comment", "system")
STORY_SOURCES = ("web", "email", "mobile", "api", "unknown")
STICKER_NAMES = (
    "green_checkmark", "people_dancing", "dancing_unicorn", "heart", "party_popper",
    "people_waving_flags", "splashing_narwhal", "trophy", "yeti_riding_unicorn",
    "celebrating_people", "determined_climbers", "phoenix_spreading_love",
)  # fmt: skip

ATTACHMENT_SUBTYPES = ("asana", "dropbox", "gdrive", "onedrive", "box", "vimeo", "external")

# Messages: the resource export's schema covers default messages and status updates (seed 002).
MESSAGE_SUBTYPES = ("default", "status_update")
STATUS_TYPES = (
    "on_track", "at_risk", "off_track", "on_hold", "complete", "achieved", "partial", "missed",
    "dropped",
)  # fmt: skip
MESSAGE_PARENT_TYPES = ("project", "portfolio", "team", "goal")

# Exports: one lifecycle for every kind. Organization exports show these states as they are
# (O3); resource and graph exports show them through their job's status (R2).
EXPORT_KINDS = ("organization", "resource", "graph")
EXPORT_STATES = ("pending", "started", "finished", "error")
JOB_STATUSES = {
    "pending": "not_started",
    "started": "in_progress",
    "finished": "succeeded",
    "error": "failed",
}
