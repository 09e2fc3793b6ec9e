"""What `make run` prints: the page first; curl examples that carry the token header when one is
set (by name, never its value)."""

from __future__ import annotations

from types import SimpleNamespace

from devstack.run import PORTS, LocalStack, banner


def stack(tmp_path) -> LocalStack:
    """A LocalStack whose parts have addresses but run nothing."""
    made = LocalStack(data=tmp_path)
    made.influx = SimpleNamespace(url="http://127.0.0.1:1/")
    made.mesh = SimpleNamespace(url="http://127.0.0.1:2/")
    made.functions = {  # addresses only: a FunctionProcess would bind its port
        name: SimpleNamespace(url=f"http://127.0.0.1:{port}/") for name, port in PORTS.items()
    }
    return made


def posts(text: str) -> list[str]:
    """The printed curl lines that send a body to a function that guards changes."""
    guarded = ("watchlist", "alerts")
    return [
        line
        for line in text.splitlines()
        if "curl" in line and " --json " in line and any(f":{PORTS[g]}/" in line for g in guarded)
    ]


def test_the_page_comes_first(tmp_path, monkeypatch):
    monkeypatch.delenv("STOCKS_API_TOKEN", raising=False)
    printed = [line for line in banner(stack(tmp_path), ["IBM"]).splitlines() if line]
    assert printed[0] == f"Stocks Manager: open http://127.0.0.1:{PORTS['ui']}/ in a browser."


def test_with_a_token_the_examples_carry_its_header(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKS_API_TOKEN", "s3cret-token")
    text = banner(stack(tmp_path), ["IBM"])
    assert posts(text) and all(
        '-H "Authorization: Bearer $STOCKS_API_TOKEN"' in line for line in posts(text)
    )
    assert "s3cret-token" not in text
    monkeypatch.delenv("STOCKS_API_TOKEN")
    assert not any("Authorization" in line for line in posts(banner(stack(tmp_path), ["IBM"])))


def test_ports_are_chosen_once(tmp_path):
    made = LocalStack(data=tmp_path)
    first = made.plan_ports()
    assert made.plan_ports() is first and set(first) == set(PORTS)


def test_a_stack_without_default_ports_leaves_them_to_the_system(tmp_path):
    made = LocalStack(data=tmp_path, default_ports=False)
    assert set(made.plan_ports().values()) == {0}  # each part binds any free port at once
