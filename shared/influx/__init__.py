"""InfluxDB over its v1-compatible HTTP API: client, authentication, write pipeline, InfluxQL."""
