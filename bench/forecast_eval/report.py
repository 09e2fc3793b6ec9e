"""The evaluation's figures: pooled and per-series error relative to naive, coverage, cost."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bench.forecast_eval.protocol import HORIZON, SHORT, Runs


def _key(model: str, horizon: int) -> str:
    return f"{model}@{horizon if model == 'auto' else HORIZON}"


def _sums(runs: Runs, model: str, horizon: int) -> tuple[float, float]:
    key = _key(model, horizon)
    errors = sum(float(e[:horizon].sum()) for e in runs.errors[key])
    naive = sum(float(n[:horizon].sum()) for n in runs.naive[key])
    return errors, naive


def relative_mae(runs: Mapping[str, Runs], model: str, horizon: int) -> dict[str, float]:
    """Summed scaled error over naive's, per series and pooled ('*')."""
    per = {name: _sums(r, model, horizon) for name, r in runs.items()}
    pooled = sum(e for e, _ in per.values()) / sum(n for _, n in per.values())
    return {"*": pooled} | {name: e / n for name, (e, n) in per.items()}


def coverage(runs: Mapping[str, Runs], model: str) -> dict[str, float]:
    """Share of outcomes inside the band over steps 1..HORIZON, per series and pooled ('*')."""
    key = _key(model, HORIZON)
    per = {name: np.concatenate(r.inside[key]) for name, r in runs.items()}
    return {"*": float(np.mean(np.concatenate(list(per.values()))))} | {
        name: float(np.mean(inside)) for name, inside in per.items()
    }


def seconds(runs: Mapping[str, Runs], model: str) -> float:
    """Mean seconds of one forecast() call at horizon 20."""
    return float(np.mean([s for r in runs.values() for s in r.seconds[_key(model, HORIZON)]]))


def honesty(runs: Mapping[str, Runs], model: str, horizon: int) -> dict[str, tuple[float, float]]:
    """(mean reported rel_naive, realised rel MAE) per series and pooled ('*')."""
    key = _key(model, horizon)
    realised = relative_mae(runs, model, horizon)
    reported = {name: float(np.mean(r.reported[key])) for name, r in runs.items()}
    everything = [v for r in runs.values() for v in r.reported[key]]
    return {"*": (float(np.mean(everything)), realised["*"])} | {
        name: (reported[name], realised[name]) for name in runs
    }


def table(runs: Mapping[str, Runs], models: list[str]) -> str:
    """Markdown tables: the summary per model, auto's honesty, and every series."""
    lines = [
        "| model | MAE/naive h5 (worst series) | MAE/naive h20 (worst series) "
        "| 80% coverage h1-20 pooled (series min-max) | s/call |",
        "| --- | --- | --- | --- | --- |",
    ]
    for model in models:
        cells = []
        for horizon in (SHORT, HORIZON):
            rel = relative_mae(runs, model, horizon)
            worst = max((n for n in rel if n != "*"), key=rel.__getitem__)
            cells.append(f"{rel['*']:.3f} ({worst} {rel[worst]:.3f})")
        cov = coverage(runs, model)
        spread = [v for n, v in cov.items() if n != "*"]
        cells.append(f"{cov['*']:.1%} ({min(spread):.1%}-{max(spread):.1%})")
        cells.append(f"{seconds(runs, model):.3f}")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    if "auto" in models:
        lines += ["", "| auto | reported rel_naive (mean) | realised | worst series gap "
                  "| calls keeping naive |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
        for horizon in (SHORT, HORIZON):
            pairs = honesty(runs, "auto", horizon)
            gaps = {n: abs(a - b) for n, (a, b) in pairs.items() if n != "*"}
            worst = max(gaps, key=gaps.__getitem__)
            chosen = [c for r in runs.values() for c in r.chosen[f"auto@{horizon}"]]
            kept = sum(c == "naive" for c in chosen) / len(chosen)
            lines.append(
                f"| h{horizon} | {pairs['*'][0]:.3f} | {pairs['*'][1]:.3f} "
                f"| {worst} {gaps[worst]:.3f} | {kept:.1%} |"
            )
    lines += ["", "| series | " + " | ".join(f"{m} h5 / h20 / cov" for m in models) + " |"]
    lines.append("| --- " * (len(models) + 1) + "|")
    for name in runs:
        cells = []
        for model in models:
            rel5 = relative_mae(runs, model, SHORT)[name]
            rel20 = relative_mae(runs, model, HORIZON)[name]
            cells.append(f"{rel5:.2f} / {rel20:.2f} / {coverage(runs, model)[name]:.0%}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
