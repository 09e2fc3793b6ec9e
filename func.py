"""Entry point of the image: parliament calls `main(context)`; STOCKS_FUNCTION picks the function.

Configuration is read and checked here, at import, so a misconfigured function fails at start.
"""

from __future__ import annotations

import logging

from parliament import Context

from functions import load_spec
from shared.contract.config import Settings
from shared.runtime.handler import Handler, Response
from shared.runtime.services import Services

logging.getLogger("parliament.server").setLevel(logging.ERROR)  # not every POST is a CloudEvent

_settings = Settings.from_env()
_handler = Handler(load_spec(_settings.function), Services(_settings))


def main(context: Context) -> Response:
    """Handle one invocation of the configured function."""
    return _handler(context.request, context.cloud_event)
