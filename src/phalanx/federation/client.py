"""A TAXII 2.1 client on httpx (TAXII 2.1 §3-5) with an injectable transport.

``TaxiiClient`` polls any TAXII 2.1 server incrementally: ``pull`` follows ``next`` within a
run and hands back each page with its ``X-TAXII-Date-Added-Last``, the ``added_after`` a later
run resumes from (§3.5). ``push`` posts envelopes that fit the API root's
``max_content_length`` and polls each status resource until it is complete (§4.3, §5.5).
``PullState`` keeps the resume points in a small JSON file, written atomically after each
page, so an interrupted pull loses nothing and repeats at most one page.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson

from phalanx.errors import InvalidInput, Unauthorized, UpstreamError

TAXII = "application/taxii+json;version=2.1"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a poll: its objects and where the next poll resumes."""

    objects: list[dict[str, Any]]
    date_added_last: str | None


class TaxiiClient:
    """A client for one TAXII 2.1 server (discovery URL or API root URL)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 300.0,
    ) -> None:
        headers = {"Accept": TAXII, "User-Agent": "phalanx-taxii-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        auth = httpx.BasicAuth(user, password) if user and password is not None else None
        self.url = url if url.endswith("/") else url + "/"
        self.http = httpx.Client(
            headers=headers,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
        )
        self._api_root: str | None = None
        self._max_content_length: int | None = None

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def get(self, url: str, params: Sequence[tuple[str, str]] = ()) -> httpx.Response:
        """GET a TAXII resource; raise a Phalanx error for a failed answer."""
        try:
            response = self.http.get(url, params=list(params))
        except httpx.TransportError as error:
            raise UpstreamError(f"cannot reach {url}: {error}", peer=url) from None
        return _check(response)

    def api_root(self) -> str:
        """The API root URL: the given one, or the discovery resource's default (§4.1)."""
        if self._api_root is None:
            body = self.get(self.url).json()
            if "versions" in body:  # the URL is an API root already
                self._api_root, info = self.url, body
            else:
                root = body.get("default") or next(iter(body.get("api_roots") or []), None)
                if not root:
                    raise UpstreamError("the discovery resource names no API root", peer=self.url)
                self._api_root = urljoin(self.url, root)
                info = self.get(self._api_root).json()
            self._max_content_length = int(info.get("max_content_length") or 10 * 1024 * 1024)
        return self._api_root

    def collections(self) -> list[dict[str, Any]]:
        """The collections this client may know about (§5.1)."""
        body = self.get(self.api_root() + "collections/").json()
        return list(body.get("collections", []))

    def collection_url(self, collection: str) -> str:
        """The URL of a collection, by id (or alias, which Phalanx also accepts)."""
        return f"{self.api_root()}collections/{collection}/"

    def pull(
        self,
        collection: str,
        *,
        added_after: str | None = None,
        limit: int = 1_000,
        match: dict[str, str] | None = None,
    ) -> Iterator[Page]:
        """Every object added after ``added_after``, page by page (§5.4, §3.5)."""
        url = self.collection_url(collection) + "objects/"
        params = [("limit", str(limit))]
        if added_after:
            params.append(("added_after", added_after))
        params += [(f"match[{key}]", value) for key, value in (match or {}).items()]
        token: str | None = None
        while True:
            response = self.get(url, params + ([("next", token)] if token else []))
            body = response.json()
            last = response.headers.get("X-TAXII-Date-Added-Last")
            yield Page(list(body.get("objects", [])), last)
            if not body.get("more"):
                return
            token = body.get("next")
            if token is None:
                # A server that gives more=true without next: continue from the last page's
                # date_added (§3.5), or stop rather than fetch the first page forever.
                if last is None:
                    return
                params = [(k, v) for k, v in params if k != "added_after"]
                params.append(("added_after", last))

    def push(
        self, collection: str, objects: Sequence[dict[str, Any]], *, batch: int = 1_000
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Post objects in envelopes; yield (objects sent so far, complete status) per POST."""
        url = self.collection_url(collection) + "objects/"
        self.api_root()
        sent = 0
        for chunk in self._envelopes(objects, batch):
            try:
                response = self.http.post(
                    url, content=orjson.dumps({"objects": chunk}), headers={"Content-Type": TAXII}
                )
            except httpx.TransportError as error:
                raise UpstreamError(f"cannot reach {url}: {error}", peer=url) from None
            status = _check(response).json()
            sent += len(chunk)
            yield sent, self._wait(status)

    def _envelopes(
        self, objects: Sequence[dict[str, Any]], batch: int
    ) -> Iterator[list[dict[str, Any]]]:
        limit = (self._max_content_length or 10 * 1024 * 1024) - 64
        chunk: list[dict[str, Any]] = []
        size = 0
        for obj in objects:
            length = len(orjson.dumps(obj)) + 1
            if chunk and (len(chunk) >= batch or size + length > limit):
                yield chunk
                chunk, size = [], 0
            chunk.append(obj)
            size += length
        if chunk:
            yield chunk

    def _wait(self, status: dict[str, Any], timeout: float = 600.0) -> dict[str, Any]:
        """Poll a status resource until it is complete (§4.3)."""
        deadline = time.monotonic() + timeout
        delay = 0.2
        while status.get("status") != "complete":
            if time.monotonic() > deadline:
                raise UpstreamError(f"status {status.get('id')} still pending", peer=self.url)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            status = self.get(f"{self.api_root()}status/{status['id']}/").json()
        return status


def _check(response: httpx.Response) -> httpx.Response:
    if response.is_success:
        return response
    try:
        body = response.json()
        detail = body.get("description") or body.get("title") or response.text[:500]
    except ValueError:
        detail = response.text[:500]
    if response.status_code == 401:
        raise Unauthorized(f"{response.url}: {detail}")
    if response.status_code in (400, 413, 415, 422):
        raise InvalidInput(f"HTTP {response.status_code} from {response.url}: {detail}")
    raise UpstreamError(f"HTTP {response.status_code}: {detail}", peer=str(response.url))


class PullState:
    """Resume points (``added_after``) per server and collection, in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = orjson.loads(path.read_bytes()) if path.exists() else {}

    @staticmethod
    def key(url: str, collection: str) -> str:
        """The state key of one server collection."""
        return f"{url.rstrip('/')}/ {collection}"

    def added_after(self, url: str, collection: str) -> str | None:
        """Where the last pull of this collection stopped."""
        entry = self.data.get(self.key(url, collection), {})
        value = entry.get("added_after")
        return value if isinstance(value, str) else None

    def pushed(self, url: str, collection: str, digest: str) -> int:
        """How many objects of the file with this digest were already acknowledged."""
        entry = self.data.get(self.key(url, collection), {})
        return int(entry.get("pushed", {}).get(digest, 0))

    def save(self, url: str, collection: str, **values: Any) -> None:
        """Record values for a collection and write the file atomically."""
        entry = self.data.setdefault(self.key(url, collection), {})
        for name, value in values.items():
            if name == "pushed":
                entry.setdefault("pushed", {}).update(value)
            else:
                entry[name] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_bytes(orjson.dumps(self.data, option=orjson.OPT_INDENT_2))
        os.replace(temporary, self.path)
