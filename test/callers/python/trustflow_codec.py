"""A Temporal payload codec that asks trustflow's codec server to encrypt and decrypt.

trustflow's workers encrypt every payload (AES-256-GCM, `binary/encrypted`) and, with encoded
failure attributes, every failure message and stack trace. A Python service that does not hold the
keyring posts its payloads to the codec server instead:

    POST <endpoint>/encode   and   POST <endpoint>/decode
    Content-Type: application/json
    X-Namespace: <namespace>
    Authorization: Bearer <token>
    {"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}

The body is the protobuf JSON of temporal.api.common.v1.Payloads; the answer has the same shape and
as many payloads as were sent. Only the standard library is used for HTTP (urllib, run in a thread
so the event loop is not blocked).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import ipaddress
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

__all__ = ["CodecServerError", "RemoteCodec", "trustflow_data_converter"]


# No proxy from http_proxy/https_proxy: decrypted payloads go to the codec server and nowhere else.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CodecServerError(Exception):
    """The codec server could not be reached or refused a request (status and its reason)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RemoteCodec(PayloadCodec):
    """Encodes and decodes payloads through trustflow's codec server."""

    def __init__(self, endpoint: str, namespace: str, token: str, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"codec endpoint must be an http(s) URL, got {endpoint!r}")
        # The bearer token and decrypted payloads cross this connection: plain http on loopback only.
        if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
            raise ValueError(f"codec endpoint {endpoint!r}: use https off loopback (the token and payloads would travel in clear)")
        self.endpoint = endpoint.rstrip("/")
        self.namespace = namespace
        self._token = token
        self.timeout = timeout

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.post("encode", payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self.post("decode", payloads)

    async def post(self, operation: str, payloads: Sequence[Payload]) -> list[Payload]:
        """POSTs the payloads to <endpoint>/<operation>; the same number must come back."""
        body = json_format.MessageToJson(Payloads(payloads=list(payloads)), indent=None).encode("utf-8")
        answer = await asyncio.to_thread(self._request, operation, body)
        try:
            out = json_format.Parse(answer, Payloads())
        except json_format.ParseError as err:
            raise CodecServerError(f"codec server {operation}: the answer is not a Payloads JSON: {err}") from None
        if len(out.payloads) != len(payloads):
            raise CodecServerError(
                f"codec server {operation}: sent {len(payloads)} payloads, got {len(out.payloads)} back"
            )
        return list(out.payloads)

    def _request(self, operation: str, body: bytes) -> bytes:
        url = f"{self.endpoint}/{operation}"
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Namespace": self.namespace,
                "Authorization": f"Bearer {self._token}",
            },
        )
        try:
            with _DIRECT.open(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise CodecServerError(
                        f"codec server {operation}: HTTP {response.status} from {url}",
                        response.status,
                    )
                return response.read()
        except urllib.error.HTTPError as err:
            reason = _server_error(err)
            raise CodecServerError(
                f"codec server {operation}: HTTP {err.code} from {url}: {reason}",
                err.code,
            ) from None
        except (urllib.error.URLError, OSError) as err:
            why = getattr(err, "reason", err)
            raise CodecServerError(f"codec server {operation}: cannot reach {url}: {why}") from None


def _server_error(err: urllib.error.HTTPError) -> str:
    """The server's {"error": ...} message, or the start of whatever it answered."""
    try:
        raw = err.read()
    except OSError:
        return "(no body)"
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return parsed["error"]
    text = raw[:200].decode("utf-8", "replace").strip()
    return text or "(no body)"


def trustflow_data_converter(codec: PayloadCodec) -> DataConverter:
    """The default converter with trustflow's codec; failure messages travel encoded (encrypted)."""
    return dataclasses.replace(
        DataConverter.default,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
