"""The page the ui function serves: its HTML, JavaScript, CSS and vendored uPlot."""
