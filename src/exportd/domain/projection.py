"""`opt_fields`: which fields of an object to show, dotted paths into nested objects (C2).

Pure functions over plain dicts. A field tree maps a field name to the tree of its nested
object (empty for a plain value). Paths are checked against the resource table, so an
unknown field is refused with a message that names it instead of being silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from exportd.domain.resources import RESOURCES, Resource
from exportd.errors import InvalidRequest, clip

FieldTree = dict[str, "FieldTree"]


def compact_tree(resource: Resource) -> FieldTree:
    """The compact representation: what a reference shows when nothing more is asked."""
    return _tree(resource, resource.compact)


def full_tree(resource: Resource) -> FieldTree:
    """The full representation, with referenced objects in their compact form."""
    return _tree(resource, resource.full)


def _tree(resource: Resource, names: Iterable[str]) -> FieldTree:
    tree: FieldTree = {}
    for name in names:
        target = resource.references.get(name)
        tree[name] = compact_tree(RESOURCES[target]) if target else {}
    return tree


def parse_fields(paths: Iterable[str], resource: Resource, *, parameter: str) -> FieldTree:
    """Turn `["name", "assignee.name"]` into a field tree, refusing unknown paths.

    A path that ends on a reference shows the referenced object in compact form.
    """
    tree: FieldTree = {}
    for path in paths:
        path = path.strip()
        if not path:
            continue
        node, current = tree, resource
        names = path.split(".")
        for depth, name in enumerate(names):
            if name not in current.selectable:
                raise InvalidRequest(
                    f"{parameter}: unknown field '{clip(path)}' "
                    f"({current.resource_type} has no field '{clip(name)}')"
                )
            target = current.references.get(name)
            last = depth == len(names) - 1
            if target is None and not last:
                raise InvalidRequest(
                    f"{parameter}: '{clip(path)}' selects inside '{name}', which is a plain value"
                )
            if target is None:
                node.setdefault(name, {})
                break
            current = RESOURCES[target]
            child = node.setdefault(name, {})
            if last and not child:
                child.update(compact_tree(current))
            node = child
    return tree


def project(obj: Mapping[str, Any], tree: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `obj` named by `tree`, recursively; `gid` is always kept."""
    out: dict[str, Any] = {"gid": obj["gid"]} if "gid" in obj else {}
    for name, subtree in tree.items():
        if name not in obj:
            continue
        value = obj[name]
        if subtree and isinstance(value, Mapping):
            value = project(value, subtree)
        elif subtree and isinstance(value, list):
            value = [project(v, subtree) if isinstance(v, Mapping) else v for v in value]
        out[name] = value
    return out
