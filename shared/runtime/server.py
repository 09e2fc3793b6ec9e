"""Serve the function STOCKS_FUNCTION names on $PORT: parliament's app with the contract's limits.

`python -m shared.runtime.server` is the image's process (Procfile) and `make serve`'s:
parliament's Flask app from `parliament.server.create`, answering JSON for unknown paths and
methods, refusing bodies over the limit before reading them, and stopping cleanly on SIGTERM.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from shared.contract.config import Settings
from shared.contract.errors import ConfigError
from shared.runtime.invocation import MAX_BODY_BYTES
from shared.runtime.logs import one_line, route_library_logs
from shared.runtime.services import Services

ROOT = Path(__file__).resolve().parents[2]
HARD_BODY_LIMIT = 1024 * 1024  # waitress answers 413 above this without reading the body
SECURITY_HEADERS = {
    # The page loads its script, styles and data from itself only and has no inline script:
    # anything injected would not run, and no other site may frame it (clickjacking).
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Sent with every answer of every function: the page's, and JSON or PNG that a browser could be
tricked into rendering as something else."""


def create_app() -> Flask:
    """Load func.py from the project root and build parliament's app around it."""
    from parliament import server

    app = server.create(server.load(str(ROOT)))
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.before_request
    def options() -> Response | None:
        """OPTIONS: 204 with the methods the path answers (Flask's default is an empty HTML 200)."""
        if request.method != "OPTIONS" or request.url_rule is None:
            return None
        path = request.url_rule.rule  # parliament routes GET and POST as two rules
        rules = [rule for rule in app.url_map.iter_rules() if rule.rule == path]
        methods = ", ".join(sorted({m for rule in rules for m in rule.methods or ()}))
        return Response(status=204, headers={"Allow": methods})

    @app.after_request
    def secure(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.errorhandler(HTTPException)
    def json_http_error(error: HTTPException) -> tuple[dict[str, str], int]:
        return {"error": f"{error.name}: {error.description}"}, error.code or 500

    return app


def main() -> None:
    """Serve until SIGTERM or SIGINT; a configuration error exits with its sentence.

    Every line the process writes is one JSON object, waitress's own included. With
    `STOCKS_LISTEN_FD` (the local stack) it serves the socket its launcher bound and handed
    over, so whatever answers on that port is this process; else it binds HOST:PORT itself.
    """
    from waitress import serve

    function = os.environ.get("STOCKS_FUNCTION")
    route_library_logs(function, ())
    starting = logging.getLogger("stocks-manager")
    try:
        app = create_app()
        route_library_logs(function, Services(Settings.from_env()).secrets)
    except ConfigError as error:
        starting.error("stocks-manager cannot start: %s", error)
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
    options: dict[str, Any] = {
        "threads": 8,
        "max_request_body_size": HARD_BODY_LIMIT,
        "ident": "stocks-manager",
    }
    if handed := os.environ.get("STOCKS_LISTEN_FD"):
        options["sockets"] = [socket.socket(fileno=int(handed))]
    else:
        options |= {
            "host": os.environ.get("HOST", "0.0.0.0"),
            "port": os.environ.get("PORT", "8080"),
        }
    try:
        serve(app, **options)
    except OSError as error:  # the port is in use, or not ours to take
        starting.error("stocks-manager cannot listen: %s", one_line(error))
        sys.exit(1)


if __name__ == "__main__":
    main()
