"""Alerts without I/O: rules, when they fire, what a firing says, freshness, the webhook body.

Everything here is a pure function of the data it is given (bars, bands, runs, the calendar, the
time), so an alert is the same whenever, however often and in whatever order it is evaluated.
"""
