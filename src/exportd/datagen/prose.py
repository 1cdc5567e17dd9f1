"""Names and text drawn from the word lists, and their HTML twins.

HTML fields (`html_notes`, `html_text`, `html_description`) are the plain text escaped inside
`<body>…</body>`, as Asana returns them: stripping the tags gives back the plain text.
"""

from __future__ import annotations

import random
import re
from datetime import date
from html import escape

from exportd.datagen import words


def html(text: str) -> str:
    return f"<body>{escape(text, quote=False)}</body>"


def mention_html(user_gid: int, name: str, text: str) -> str:
    """The HTML of a comment that starts by @-mentioning a user (`@name text`)."""
    link = f'<a data-asana-gid="{user_gid}" data-asana-type="user">@{escape(name)}</a>'
    return f"<body>{link} {escape(text, quote=False)}</body>"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def short_date(day: date) -> str:
    return f"{words.MONTHS[day.month - 1]} {day.day}"


class Prose:
    """Draws names and sentences from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> tuple[str, str]:
        return self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)

    def companies(self, count: int) -> list[tuple[str, str]]:
        """`count` different companies: (name, the part of it that names its domain)."""
        return [
            (f"{base} {self.rng.choice(words.COMPANY_SUFFIXES)}", slug(base))
            for base in self.rng.sample(words.COMPANIES, count)
        ]

    def numbered(self, names: tuple[str, ...], index: int) -> str:
        """The index-th of a list of names, numbered once the list runs out."""
        name = names[index % len(names)]
        return name if index < len(names) else f"{name} {index // len(names) + 1}"

    def team(self, index: int) -> str:
        if index < len(words.TEAMS):
            return words.TEAMS[index]
        return f"{self.rng.choice(words.TEAMS)} {self.rng.choice(words.REGIONS)} {index}"

    def project(self) -> str:
        prefix = self.rng.choice(words.PROJECT_PREFIXES)
        topic = self.rng.choice(words.PROJECT_TOPICS)
        return f"{prefix} {topic}" if prefix else topic

    def task(self) -> str:
        rng = self.rng
        name = f"{rng.choice(words.TASK_VERBS)} {rng.choice(words.TASK_OBJECTS)}"
        qualifier = rng.choice(words.TASK_QUALIFIERS)
        return f"{name} {qualifier}" if qualifier else name

    def sentences(self, low: int, high: int) -> str:
        """Between `low` and `high` sentences as one paragraph (empty for zero)."""
        count = self.rng.randint(low, high)
        return " ".join(self.rng.sample(words.SENTENCES, count))

    def comment(self) -> str:
        return self.rng.choice(words.COMMENTS)
