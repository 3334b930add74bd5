"""Command line: ``python -m neo_simulator --seed FILE ...`` serves; ``... generate ...`` writes a seed."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from neo_simulator.config import DUPLICATE_POLICIES, LIST_FORMS, PAGINATIONS, ConfigError
from neo_simulator.seed import SeedError, generate_seed, load_seed_file, write_seed
from neo_simulator.server import SimulatorServer


def _serve_parser():
    parser = argparse.ArgumentParser(prog="python -m neo_simulator", description="Serve a simulated Neo API on a local port.",
                                     epilog="Use 'python -m neo_simulator generate --help' to write a large seed file.")
    parser.add_argument("--seed", required=True, help="seed file: YAML (.yml/.yaml) or JSON")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="also write the port number to this file")
    parser.add_argument("--list-form", choices=LIST_FORMS, default="named")
    parser.add_argument("--pagination", choices=PAGINATIONS, default="none")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--log", help="append one line per request to this file")
    parser.add_argument("--duplicate-policy", choices=DUPLICATE_POLICIES, default="conflict")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate (chain); needs --tls-key")
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the process that started the simulator ends (test runners that fork, "
                             "such as ansible-test units, never tear their fixtures down)")
    return parser


def _generate_parser():
    parser = argparse.ArgumentParser(prog="python -m neo_simulator generate", description="Write a large seed file.")
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--secrets-per-project", type=int, default=100)
    parser.add_argument("--personal", type=int, default=10, help="personal secrets of the user")
    parser.add_argument("--drift", type=float, default=0.1, help="fraction of secrets with default_available true")
    parser.add_argument("--rng-seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="output file: YAML (.yml/.yaml) or JSON")
    return parser


def _write_port_file(path, port):
    # Write then rename, so that a reader polling the file never sees it half written.
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write("%d\n" % port)
    os.replace(temporary, path)


def serve(argv):
    args = _serve_parser().parse_args(argv)
    try:
        simulator = SimulatorServer(load_seed_file(args.seed), host=args.host, port=args.port, log=args.log,
                                    list_form=args.list_form, pagination=args.pagination, page_size=args.page_size,
                                    latency_ms=args.latency_ms, duplicate_policy=args.duplicate_policy,
                                    tls_cert=args.tls_cert, tls_key=args.tls_key)
    except (SeedError, ConfigError) as error:
        print("neo_simulator: %s" % error, file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        simulator.start()
    except OSError as error:
        print("neo_simulator: cannot listen on %s:%d: %s" % (args.host, args.port, error.strerror), file=sys.stderr)
        return 2
    try:
        if args.port_file:
            _write_port_file(args.port_file, simulator.port)
        sys.stdout.write("NEO_SIMULATOR_URL=%s\n" % simulator.url)
        sys.stdout.flush()
        parent = os.getppid()
        while not stop.wait(0.5):
            if args.exit_with_parent and os.getppid() != parent:
                break
    finally:
        simulator.stop()
    return 0


def generate(argv):
    args = _generate_parser().parse_args(argv)
    try:
        seed = generate_seed(projects=args.projects, secrets_per_project=args.secrets_per_project, personal=args.personal,
                             drift=args.drift, rng_seed=args.rng_seed)
    except ValueError as error:
        print("neo_simulator generate: %s" % error, file=sys.stderr)
        return 2
    write_seed(seed, args.out)
    print("wrote %s: %d projects, %d secrets" % (args.out, len(seed["projects"]), len(seed["secrets"])))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "generate":
        return generate(argv[1:])
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
