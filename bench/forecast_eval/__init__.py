"""Evaluates `shared.forecasting.forecast` on real daily prices: `python -m bench.forecast_eval`.

Not part of `make test` or `make bench`: it takes minutes (Prophet fits). The protocol and the
latest results are in docs/forecasting.md.
"""
