"""Drawing charts: PNG rendering with matplotlib's object API."""
