"""What the contract fixes: configuration, errors, validation, events, schema, payloads."""
