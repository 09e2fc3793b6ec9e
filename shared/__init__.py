"""Code the functions share: configuration, storage, providers, forecasting, events."""
