"""The canonical model as data: identifier roles, entity types and event types (YAML)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

HERE = Path(__file__).parent
ATTRIBUTE_TYPES = ("string", "integer", "number", "boolean", "date")


class Role(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    direct: bool
    link: bool
    kind: str
    description: str


class EventType(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    agency: str
    attributes: dict[str, str]


class CanonicalModel(BaseModel):
    model_config = ConfigDict(frozen=True)
    roles: dict[str, Role]
    entities: dict[str, str]
    events: dict[str, EventType]

    @property
    def direct_identifiers(self) -> list[str]:
        return [name for name, role in self.roles.items() if role.direct]

    @property
    def link_roles(self) -> list[str]:
        return [name for name, role in self.roles.items() if role.link]

    def attribute_type(self, name: str) -> str | None:
        for event in self.events.values():
            if name in event.attributes:
                return event.attributes[name]
        return None


def _read(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((HERE / name).read_text())
    return loaded


@cache
def load_model() -> CanonicalModel:
    roles = {k: Role(name=k, **v) for k, v in _read("roles.yaml")["roles"].items()}
    entities = {k: v["description"] for k, v in _read("entities.yaml")["entities"].items()}
    events = {k: EventType(name=k, **v) for k, v in _read("events.yaml")["events"].items()}
    return CanonicalModel(roles=roles, entities=entities, events=events)
