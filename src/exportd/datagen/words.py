"""The small word lists synthetic organizations are written from.

Plain tuples drawn with `random.Random`: Faker would read better, but it costs tens of
microseconds a call, which is minutes over the millions of names and sentences of a large seed.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aaliyah", "Adele", "Aiko", "Alejandro", "Amara", "Anders", "Anika", "Arjun", "Beatriz",
    "Bruno", "Camille", "Chen", "Chiara", "Dara", "David", "Diego", "Elif", "Elena", "Emeka",
    "Esther", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Jamal", "Jana",
    "Javier", "Jin", "Kai", "Kavya", "Kofi", "Lars", "Layla", "Leo", "Lucia", "Mai", "Malik",
    "Marta", "Mateo", "Maya", "Mei", "Nadia", "Nia", "Noah", "Olivia", "Omar", "Priya", "Rafael",
    "Rosa", "Ruth", "Sam", "Sara", "Sofia", "Tariq", "Theo", "Uma", "Yusuf", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Abara", "Andersen", "Bauer", "Becker", "Costa", "Da Silva", "Dubois", "Eriksen", "Fischer",
    "Garcia", "Gonzalez", "Haddad", "Hansen", "Hernandez", "Ito", "Jensen", "Kaur", "Kim",
    "Kowalski", "Kumar", "Larsen", "Li", "Lopez", "Martin", "Meyer", "Moreau", "Mensah",
    "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Perez", "Petrov",
    "Rossi", "Sato", "Schmidt", "Shah", "Silva", "Singh", "Suzuki", "Tanaka", "Wang", "Weber",
    "Wilson", "Wong", "Yilmaz", "Zhang",
)  # fmt: skip

COMPANIES = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent", "Cyberdyne",
    "Tyrell", "Wonka", "Oscorp", "Aperture", "Monarch", "Stark", "Wayne", "Gringotts",
    "Dunder Mifflin", "Pied Piper", "Massive Dynamic", "Blue Sun", "Nakatomi", "Prestige",
    "Sirius", "Bluth",
)  # fmt: skip
COMPANY_SUFFIXES = ("Inc.", "Labs", "Group", "Corp.", "Co.", "Industries", "Systems")

TEAMS = (
    "Engineering", "Design", "Marketing", "Sales", "Customer Success", "Finance", "Legal",
    "People", "Product", "Data", "Security", "IT", "Operations", "Research", "Support",
    "Partnerships", "Growth", "Platform", "Mobile", "Brand",
)  # fmt: skip
REGIONS = ("EMEA", "Americas", "APAC", "North", "South", "Core", "Labs")

PROJECT_PREFIXES = ("Q1", "Q2", "Q3", "Q4", "2023", "2024", "H1", "H2", "")
PROJECT_TOPICS = (
    "Website Redesign", "Mobile App Launch", "Customer Onboarding", "Brand Refresh",
    "Data Migration", "Hiring Plan", "Security Audit", "Pricing Review", "Partner Program",
    "Support Playbook", "Analytics Dashboard", "Office Move", "Holiday Campaign",
    "API Deprecation", "Billing Revamp", "Localization", "Accessibility Fixes", "SOC 2",
    "Product Roadmap", "Content Calendar", "Event Planning", "Sales Enablement",
    "Infrastructure Upgrade", "Design System", "Customer Research", "Budget Planning",
    "Churn Reduction", "Release Train", "Knowledge Base", "Vendor Review",
)  # fmt: skip

SECTION_SETS = (
    ("To do", "Doing", "Done"),
    ("Backlog", "Next up", "In progress", "In review", "Shipped"),
    ("Planning", "Execution", "Launch", "Follow-up"),
    ("Ideas", "Drafting", "Editing", "Published"),
    ("New requests", "Triaged", "Waiting on customer", "Resolved"),
)

TASK_VERBS = (
    "Draft", "Review", "Update", "Fix", "Schedule", "Prepare", "Finalize", "Test", "Design",
    "Write", "Publish", "Plan", "Audit", "Migrate", "Document", "Estimate", "Approve",
    "Send", "Set up", "Clean up", "Investigate", "Refactor", "Translate", "Present", "Share",
    "Follow up on", "Collect feedback on", "Book", "Order", "Sign off",
)  # fmt: skip
TASK_OBJECTS = (
    "launch plan", "Q3 budget", "login timeout bug", "onboarding docs", "kickoff meeting",
    "release notes", "landing page copy", "pricing page", "customer survey", "press release",
    "sprint board", "roadmap slides", "vendor contract", "hiring scorecard", "job description",
    "accessibility report", "icon set", "email campaign", "webinar", "support macros",
    "status report", "QA checklist", "database backup", "dashboard metrics", "API docs",
    "offsite agenda", "security questionnaire", "style guide", "invoice template",
    "partner newsletter", "demo script", "feature flag", "performance review", "holiday schedule",
    "travel booking", "design mockups", "user interviews", "churn analysis", "backlog",
    "test plan", "runbook", "incident postmortem", "OKR draft", "brand guidelines",
)  # fmt: skip
TASK_QUALIFIERS = (
    "", "", "", "", "for the board", "with Legal", "before Friday", "v2", "(mobile)",
    "for EMEA", "for the all-hands", "- final", "with the agency",
)  # fmt: skip

SENTENCES = (
    "This needs to be ready before the launch review.",
    "See the attached brief for the full context.",
    "We agreed on this in last week's planning meeting.",
    "Please keep the scope small; we can iterate later.",
    "The customer asked for an update by the end of the month.",
    "Numbers come from the latest finance report.",
    "Coordinate with the design team before starting.",
    "Blocked until the vendor sends the signed contract.",
    "Use the new template so the format stays consistent.",
    "Ping me if anything is unclear.",
    "Legal needs to sign off before this goes out.",
    "Track open questions in the comments below.",
    "The previous version had a few broken links.",
    "Aim for something we can demo on Thursday.",
    "Budget is approved up to the amount in the plan.",
    "Include screenshots for every step.",
    "Keep the tone friendly and short.",
    "Check the analytics for the last two quarters first.",
    "This replaces the process we used last year.",
    "Make sure it works on mobile as well.",
)

COMMENTS = (
    "Looks good to me!",
    "Can we push this to next week?",
    "I've updated the doc with the latest numbers.",
    "Could you take a look when you have a minute?",
    "Done, moving this to review.",
    "Thanks, this is really helpful.",
    "I left a few suggestions in the draft.",
    "Waiting on feedback from the client.",
    "Do we have a deadline for this?",
    "Great work, everyone.",
    "This is blocked by the API change.",
    "Added the final version as an attachment.",
    "Let's discuss this in tomorrow's stand-up.",
    "I can take this one.",
    "The numbers don't match the dashboard yet.",
    "Shipped! Closing this out.",
    "Reopening: the bug is back on staging.",
    "Approved from my side.",
    "Who owns the follow-up here?",
    "Small typo in the second paragraph, otherwise perfect.",
)

TAGS = (
    "urgent", "bug", "blocked", "customer", "quick-win", "needs-review", "design", "backend",
    "frontend", "legal", "finance", "research", "docs", "infra", "ux", "launch", "tech-debt",
    "security", "follow-up", "waiting", "idea", "p1", "p2", "p3",
)  # fmt: skip

PORTFOLIOS = (
    "Product Launches", "Company Initiatives", "Marketing Campaigns", "Engineering Roadmap",
    "Customer Programs", "Operations", "Strategic Bets", "Regional Expansion",
)  # fmt: skip

GOALS = (
    "Grow monthly active users by 20%", "Reach 99.95% uptime", "Cut onboarding time in half",
    "Launch in three new markets", "Reduce support backlog below 50 tickets",
    "Hire 15 engineers", "Improve NPS to 50", "Close 40 enterprise deals",
    "Ship the redesigned mobile app", "Reduce infrastructure cost by 15%",
    "Publish 24 customer stories", "Pass the SOC 2 audit",
)  # fmt: skip

MESSAGE_TITLES = (
    "Welcome to the team!", "Kickoff notes", "Change of plans for the launch",
    "Reminder: quarterly planning", "Offsite logistics", "New process for requests",
    "Thank you for a great quarter", "Heads-up: maintenance window", "Retro takeaways",
    "Meet our new teammates", "Updated priorities", "Feedback wanted on the proposal",
)  # fmt: skip

STATUS_HEADLINES = (
    "On schedule for the next milestone.",
    "Scope reduced to protect the launch date.",
    "Waiting on two dependencies from other teams.",
    "Testing started; a few bugs left to fix.",
    "Paused while we wait for budget approval.",
    "Everything shipped, wrapping up the retro.",
    "Behind by a week because of hiring delays.",
    "Customer feedback is better than expected.",
)

# Custom fields: (name, type, format, precision, enum options). One of every type lives; the
# first, retired field is the one a seed always soft-deletes.
CUSTOM_FIELDS: tuple[tuple[str, str, str, int | None, tuple[str, ...]], ...] = (
    ("Legacy ticket", "text", "none", None, ()),
    ("Priority", "enum", "none", None, ("Low", "Medium", "High", "Critical")),
    ("Labels", "multi_enum", "none", None, ("Frontend", "Backend", "Docs", "Research", "Ops")),
    ("Estimate (hours)", "number", "duration", 1, ()),
    ("Budget", "number", "currency", 2, ()),
    ("Progress", "number", "percentage", 0, ()),
    ("Review date", "date", "none", None, ()),
    ("Reviewer", "people", "none", None, ()),
    ("Ticket ID", "text", "identifier", None, ()),
    ("Stage", "enum", "custom", None, ("Idea", "Planned", "Building", "Live")),
)

FILES = (
    "launch-plan.pdf", "mockup-v2.png", "Q3 budget.xlsx", "meeting-notes.docx", "logo.svg",
    "screenshot.png", "contract-signed.pdf", "roadmap.key", "survey-results.csv", "demo.mp4",
    "brief.pdf", "invoice-0423.pdf", "wireframes.fig", "data-export.zip", "photo.jpg",
    "report-final.pdf", "slides.pptx", "checklist.md",
)  # fmt: skip

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
