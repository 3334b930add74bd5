"""The /_sim/ admin API: no auth, JSON in and out, never a secret value or credential."""
from __future__ import annotations

from neo_simulator.config import ConfigError
from neo_simulator.faults import FaultError
from neo_simulator.responses import ApiError, error_reply, json_reply, method_not_allowed, parse_json_object
from neo_simulator.seed import SeedError


class AdminApi:
    """Routes /_sim/<name> requests to SimulatorServer operations."""

    def __init__(self, simulator):
        self._sim = simulator
        self._routes = {
            "/_sim/health": {"GET": lambda body: {"ok": True}},
            "/_sim/counters": {"GET": lambda body: simulator.counters.snapshot()},
            "/_sim/counters/reset": {"POST": self._reset_counters},
            "/_sim/config": {"GET": lambda body: simulator.config.as_dict(), "POST": self._set_config},
            "/_sim/faults": {"GET": self._faults, "POST": self._set_faults, "DELETE": self._clear_faults},
            "/_sim/state": {"GET": lambda body: simulator.store.snapshot()},
            "/_sim/seed": {"POST": self._load_seed},
            "/_sim/reset": {"POST": self._reset},
        }

    def handle(self, method, path, body):
        handlers = self._routes.get(path.rstrip("/") or path)
        if handlers is None:
            return error_reply(404, "not_exists", "no such admin endpoint")
        if method not in handlers:
            return method_not_allowed(sorted(handlers))
        try:
            return json_reply(200, handlers[method](body))
        except ApiError as error:
            return error.reply()
        except (ConfigError, FaultError, SeedError) as error:
            return error_reply(400, "invalid_request", str(error))

    def _reset_counters(self, _body):
        self._sim.counters.reset()
        return self._sim.counters.snapshot()

    def _set_config(self, body):
        self._sim.config = self._sim.config.updated(parse_json_object(body))
        return self._sim.config.as_dict()

    def _faults(self, _body=None):
        return {"faults": self._sim.faults.snapshot()}

    def _set_faults(self, body):
        payload = parse_json_object(body)
        if "faults" not in payload:
            raise ApiError(400, "body must be {\"faults\": [...]}")
        self._sim.faults.replace(payload["faults"])
        return self._faults()

    def _clear_faults(self, _body):
        self._sim.faults.clear()
        return self._faults()

    def _load_seed(self, body):
        self._sim.load_seed(parse_json_object(body, "seed"))
        return self._sim.store.counts()

    def _reset(self, _body):
        self._sim.reset()
        return self._sim.store.counts()
