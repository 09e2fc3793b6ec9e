"""Code the Stocks Manager functions share: configuration, storage, providers, forecasting, events."""
