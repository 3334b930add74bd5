"""Run-time knobs of the simulator, settable from the CLI and from POST /_sim/config."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

LIST_FORMS = ("bare", "named", "data", "items")
PAGINATIONS = ("none", "offset", "offset_total", "cursor")
DUPLICATE_POLICIES = ("conflict", "rename")
PERSONAL_PROJECT_IDS = ("null", "absent")


class ConfigError(ValueError):
    """An invalid setting or combination of settings."""


@dataclass(frozen=True)
class SimulatorConfig:
    """Frozen so that a request reads one consistent config while an admin call swaps in another."""

    list_form: str = "named"
    pagination: str = "none"
    page_size: int = 50
    latency_ms: float = 0
    duplicate_policy: str = "conflict"
    # How a personal secret shows its project_id: null (the default) or no key at all.
    personal_project_id: str = "null"

    def __post_init__(self):
        for field, allowed in (("list_form", LIST_FORMS), ("pagination", PAGINATIONS), ("duplicate_policy", DUPLICATE_POLICIES),
                               ("personal_project_id", PERSONAL_PROJECT_IDS)):
            if getattr(self, field) not in allowed:
                raise ConfigError("%s must be one of %s" % (field, ", ".join(allowed)))
        if not _is_number(self.page_size, integer=True) or self.page_size < 1:
            raise ConfigError("page_size must be an integer of at least 1")
        if not _is_number(self.latency_ms) or self.latency_ms < 0:
            raise ConfigError("latency_ms must be a number of at least 0")
        if self.list_form == "bare" and self.pagination != "none":
            # A bare array has nowhere to carry has_more, total or next_cursor.
            raise ConfigError("list_form bare only works with pagination none")

    def updated(self, changes):
        """A new config with ``changes`` (a mapping of some fields) applied."""
        if not isinstance(changes, dict):
            raise ConfigError("config must be a JSON object")
        unknown = sorted(set(changes) - set(asdict(self)))
        if unknown:
            raise ConfigError("unknown config key(s): %s" % ", ".join(unknown))
        return replace(self, **changes)

    def as_dict(self):
        return asdict(self)


def _is_number(value, integer=False):
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if integer else isinstance(value, (int, float))
