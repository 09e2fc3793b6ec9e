"""One GET to a market-data provider, its transport failures typed as the contract's 502."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from shared.contract.errors import ProviderFailed


def get(
    session: requests.Session,
    provider: str,
    url: str,
    *,
    params: Mapping[str, str],
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """The provider's answer, whatever its status; `ProviderFailed` when none came.

    Exceptions from `requests` quote the URL or headers, where keys travel, so none is chained
    or echoed: the sentence names only what went wrong.
    """
    try:
        return session.get(url, params=params, headers=headers, timeout=timeout)
    except requests.Timeout:
        raise ProviderFailed(f"{provider} did not answer within {timeout:g} s.") from None
    except requests.ConnectionError:
        raise ProviderFailed(f"{provider} could not be reached (connection failed).") from None
    except requests.RequestException as exc:
        raise ProviderFailed(f"The request to {provider} failed ({type(exc).__name__}).") from None
