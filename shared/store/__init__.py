"""One module per measurement: the only code that writes InfluxQL, built from the schema."""
