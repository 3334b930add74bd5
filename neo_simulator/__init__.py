"""Neo API simulator: a real HTTP server on 127.0.0.1 imitating the ProjectDiscovery Neo API.

Used by the collection's tests, benchmarks and demos; not part of the shipped collection.
See docs/simulator.md.
"""
from __future__ import annotations

from neo_simulator.config import ConfigError, SimulatorConfig
from neo_simulator.seed import SeedError, generate_seed, load_seed_file, normalize_seed, write_seed
from neo_simulator.server import SimulatorServer

__all__ = ["ConfigError", "SeedError", "SimulatorConfig", "SimulatorServer", "generate_seed", "load_seed_file",
           "normalize_seed", "write_seed"]
