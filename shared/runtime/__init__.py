"""How a function runs: the server, the request handler, invocations, logs, services."""
