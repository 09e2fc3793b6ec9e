"""Command line of the local event mesh.

    python -m devstack.mesh fire [NAME] [--url URL]

fires a PingSource (all of them without NAME) of a running mesh now, through its HTTP ingress.
"""

from __future__ import annotations

import argparse
import os
import sys

import requests

from devstack.mesh.mesh import DEFAULT_PORT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.mesh")
    commands = parser.add_subparsers(dest="command", required=True)
    fire = commands.add_parser("fire", help="fire a PingSource of a running mesh now")
    fire.add_argument("name", nargs="?", help="the PingSource (default: every one)")
    fire.add_argument(
        "--url",
        default=os.environ.get("STOCKS_MESH_URL", f"http://127.0.0.1:{DEFAULT_PORT}"),
        help="the mesh's ingress (default: $STOCKS_MESH_URL or %(default)s)",
    )
    args = parser.parse_args(argv)
    path = f"/pingsources/{args.name}/fire" if args.name else "/pingsources/fire"
    try:
        response = requests.post(args.url.rstrip("/") + path, timeout=10)
    except requests.RequestException as exc:
        print(
            f"The event mesh at {args.url} does not answer ({exc}); is `make run` running?",
            file=sys.stderr,
        )
        return 1
    if response.status_code != 202:
        print(f"The event mesh answered {response.status_code}: {response.text}", file=sys.stderr)
        return 1
    for fired in response.json()["fired"]:
        print(f"fired PingSource {fired['name']}: event {fired['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
