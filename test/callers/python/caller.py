"""A Python service calling trustflow: what test/callers/python-caller.test.ts runs.

It talks to trustflow the way a bank's Python service would: the `temporalio` SDK, trustflow's codec
server for the payload encryption (trustflow_codec.py), workflow types by name and plain dicts.

    python caller.py [codec|flows|all]      (default: all)

Environment:
    TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TRUSTFLOW_TASK_QUEUE    where the flows run
    TRUSTFLOW_CODEC_ENDPOINT, TRUSTFLOW_CODEC_AUTH_TOKEN          the codec server (http://host:port)
    TRUSTFLOW_SANDBOX_MANIFEST   sandbox.json; examples.<workflowType> are ready inputs

Prints one JSON line per check to stdout, {"check": name, "ok": true|false, ...}, never a token or
personal data, and exits 1 when a check failed (2 when the environment is incomplete).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
import sys
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    WorkflowAlreadyStartedError,
)

from trustflow_codec import CodecServerError, RemoteCodec, trustflow_data_converter

ENCRYPTED = b"binary/encrypted"
RESULT_TIMEOUT = timedelta(seconds=90)
REQUIRED_ENV = (
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TRUSTFLOW_TASK_QUEUE",
    "TRUSTFLOW_CODEC_ENDPOINT",
    "TRUSTFLOW_CODEC_AUTH_TOKEN",
    "TRUSTFLOW_SANDBOX_MANIFEST",
)


class CheckFailed(Exception):
    """A check's expectation did not hold; the message says which (never a secret value)."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def describe(err: BaseException) -> str:
    """An error with its causes (a WorkflowFailureError says little without them): "A: x <- B: y"."""
    parts: list[str] = []
    cause: BaseException | None = err
    while cause is not None and len(parts) < 5:
        parts.append(f"{type(cause).__name__}: {cause}")  # an ApplicationError's str starts with its type
        cause = cause.__cause__
    return " <- ".join(parts)


class Checks:
    """Runs checks one after another, printing one JSON line for each."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.count = 0

    async def run(
        self,
        name: str,
        check: Callable[[], Awaitable[dict[str, Any] | None]],
        needs: tuple[Any, ...] = (),
    ) -> dict[str, Any] | None:
        """Runs `check`; its returned dict is printed (safe fields only) and handed back."""
        self.count += 1
        if any(n is None for n in needs):
            return self._report(name, False, {"error": "not run: a check it needs failed"})
        try:
            detail = await check() or {}
        except CheckFailed as err:
            return self._report(name, False, {"error": str(err)})
        except Exception as err:  # anything else: its type and message, and (unless the codec's) the trace on stderr
            if not isinstance(err, CodecServerError):
                traceback.print_exc(file=sys.stderr)
            return self._report(name, False, {"error": describe(err)})
        self._report(name, True, {k: v for k, v in detail.items() if not k.startswith("_")})
        return detail

    def _report(self, name: str, ok: bool, detail: dict[str, Any]) -> dict[str, Any] | None:
        if not ok:
            self.failed.append(name)
            print(f"caller: check {name} FAILED: {detail.get('error')}", file=sys.stderr)
        print(json.dumps({"check": name, "ok": ok, **detail}, ensure_ascii=False), flush=True)
        return None if not ok else detail


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 instant with a zone (trustflow writes UTC with Z; Python 3.10 wants +00:00)."""
    expect(isinstance(value, str) and value != "", f"{field} is not a non-empty string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CheckFailed(f"{field} is not ISO 8601: {value!r}") from None
    expect(parsed.tzinfo is not None, f"{field} has no time zone: {value!r}")
    return parsed


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCRYPTED


def forms(value: str) -> list[bytes]:
    """A plaintext as it could sit in serialized history: raw UTF-8, base64, hex."""
    raw = value.encode("utf-8")
    out = [raw]
    if len(raw) >= 6:
        out += [base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"="), raw.hex().encode()]
    return out


async def raw_history(raw_client: Client, workflow_id: str, run_id: str) -> tuple[History, bytes]:
    """A run's history as the server keeps it, fetched by a client without the codec."""
    history = await raw_client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    stored = History(events=list(history.events))
    return stored, stored.SerializeToString()


def check_stored_encrypted(
    history: History, stored: bytes, plaintexts: dict[str, str], closing: str, workflow_type: str
) -> dict[str, Any]:
    """Inputs and results only as `binary/encrypted` payloads; no plaintext in the stored bytes."""
    # Positive control: what the server keeps in clear (the workflow type) is found by this search.
    expect(workflow_type.encode() in stored, f"the workflow type {workflow_type} is not in the stored history")
    started = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED]
    expect(len(started) == 1, f"{len(started)} WorkflowExecutionStarted events")
    inputs = list(started[0].workflow_execution_started_event_attributes.input.payloads)
    expect(len(inputs) > 0, "the started event has no input payload")
    expect(all(is_encrypted(p) for p in inputs), "an input payload is not binary/encrypted")
    counted = {"inputPayloads": len(inputs)}
    if closing == "completed":
        done = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]
        expect(len(done) == 1, f"{len(done)} WorkflowExecutionCompleted events")
        results = list(done[0].workflow_execution_completed_event_attributes.result.payloads)
        expect(len(results) > 0, "the completed event has no result payload")
        expect(all(is_encrypted(p) for p in results), "a result payload is not binary/encrypted")
        counted["resultPayloads"] = len(results)
    else:
        failed = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED]
        expect(len(failed) == 1, f"{len(failed)} WorkflowExecutionFailed events")
        failure = failed[0].workflow_execution_failed_event_attributes.failure
        expect(
            failure.message == "Encoded failure",
            f"the stored failure message is {failure.message!r}, not 'Encoded failure'",
        )
        expect(failure.stack_trace == "", "the stored failure has a stack trace in clear")
        expect(
            failure.HasField("encoded_attributes") and is_encrypted(failure.encoded_attributes),
            "the failure's encoded attributes are not binary/encrypted",
        )
        details = list(failure.application_failure_info.details.payloads)
        expect(all(is_encrypted(p) for p in details), "a failure details payload is not binary/encrypted")
        counted["storedFailureMessage"] = failure.message
    found = [label for label, value in plaintexts.items() if value and any(f in stored for f in forms(value))]
    expect(not found, f"plaintext in the stored history: {', '.join(found)}")
    return {**counted, "plaintextsLookedFor": sorted(plaintexts), "historyBytes": len(stored)}


# --- the codec server, seen from Python ----------------------------------------------------------


async def codec_checks(checks: Checks, env: dict[str, str]) -> None:
    codec = RemoteCodec(env["TRUSTFLOW_CODEC_ENDPOINT"], env["TEMPORAL_NAMESPACE"], env["TRUSTFLOW_CODEC_AUTH_TOKEN"])
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"hello":"trustflow from python"}')

    async def empty_round_trip() -> dict[str, Any]:
        # Payloads([]) in protobuf JSON is "{}": the body the server must read as an empty list.
        encoded = await codec.encode([])
        decoded = await codec.decode([])
        expect(encoded == [] and decoded == [], f"got {len(encoded)} and {len(decoded)} payloads for none")
        return {"sent": 0, "encoded": len(encoded), "decoded": len(decoded)}

    async def round_trip() -> dict[str, Any]:
        second = Payload(metadata={"encoding": b"binary/null"}, data=b"")
        encoded = await codec.encode([plain, second])
        expect(len(encoded) == 2, f"{len(encoded)} payloads encoded")
        expect(all(is_encrypted(p) for p in encoded), "an encoded payload is not binary/encrypted")
        expect(b"trustflow from python" not in encoded[0].data, "plaintext in the encoded payload")
        expect(encoded[0].data != encoded[1].data, "two payloads encrypted alike")
        decoded = await codec.decode(encoded)
        expect(decoded == [plain, second], "decode(encode(x)) is not x")
        return {"keyId": encoded[0].metadata.get("encryption-key-id", b"").decode()}

    async def passes_plain() -> dict[str, Any]:
        # History written without the codec (or a payload the worker left alone) decodes as it is.
        decoded = await codec.decode([plain])
        expect(decoded == [plain], "an unencrypted payload came back changed")
        return {}

    async def tampered() -> dict[str, Any]:
        (encoded,) = await codec.encode([plain])
        broken = Payload()
        broken.CopyFrom(encoded)
        broken.data = encoded.data[:-1] + bytes([encoded.data[-1] ^ 1])
        try:
            await codec.decode([broken])
        except CodecServerError as err:
            expect(err.status == 400, f"HTTP {err.status}, expected 400: {err}")
            expect("failed authentication" in str(err), f"the server's reason is not quoted: {err}")
            return {"status": err.status, "serverSaid": str(err)}
        raise CheckFailed("a tampered payload decoded")

    async def wrong_token() -> dict[str, Any]:
        stranger = RemoteCodec(codec.endpoint, codec.namespace, "not-the-token")
        try:
            await stranger.encode([plain])
        except CodecServerError as err:
            expect(err.status == 401, f"HTTP {err.status}, expected 401: {err}")
            expect("bearer token" in str(err), f"the server's reason is not quoted: {err}")
            return {"status": err.status, "serverSaid": str(err)}
        raise CheckFailed("the codec server encrypted for a wrong token")

    await checks.run("codec.empty-round-trip", empty_round_trip)
    await checks.run("codec.round-trip", round_trip)
    await checks.run("codec.decode-passes-unencrypted", passes_plain)
    await checks.run("codec.tampered-refused", tampered)
    await checks.run("codec.wrong-token-refused", wrong_token)


# --- the flows -----------------------------------------------------------------------------------


async def flow_checks(checks: Checks, env: dict[str, str], examples: dict[str, Any]) -> None:
    mpt_input: dict[str, Any] = examples["mptSignIn"]
    kisc_input: dict[str, Any] = examples["kiscVerifyIdentity"]
    task_queue = env["TRUSTFLOW_TASK_QUEUE"]
    codec = RemoteCodec(env["TRUSTFLOW_CODEC_ENDPOINT"], env["TEMPORAL_NAMESPACE"], env["TRUSTFLOW_CODEC_AUTH_TOKEN"])
    clients: list[Client] = []

    async def connect() -> dict[str, Any]:
        address, namespace = env["TEMPORAL_ADDRESS"], env["TEMPORAL_NAMESPACE"]
        clients.append(
            await Client.connect(address, namespace=namespace, data_converter=trustflow_data_converter(codec))
        )
        # Reads the history as stored: the default converter, no codec.
        clients.append(await Client.connect(address, namespace=namespace))
        return {"address": address, "namespace": namespace}

    if await checks.run("temporal.connect", connect) is None:
        return
    client, raw_client = clients
    suffix = uuid.uuid4().hex[:12]

    async def result_of(handle: WorkflowHandle[Any, Any]) -> Any:
        return await asyncio.wait_for(handle.result(), RESULT_TIMEOUT.total_seconds())

    # mptSignIn: a new run per sign-in; a start while one runs joins it.
    mpt_id = f"py-caller-mpt-sign-in-{suffix}"

    async def start_mpt() -> Any:
        return await client.start_workflow(
            "mptSignIn",
            mpt_input,
            id=mpt_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )

    async def mpt_result() -> dict[str, Any]:
        handle = await start_mpt()
        result = await result_of(handle)
        expect(isinstance(result, dict), f"the result is a {type(result).__name__}, not an object")
        expect(isinstance(result.get("token"), str) and result["token"] != "", "token is not a non-empty string")
        now = datetime.now(timezone.utc)
        expires_at = parse_time(result.get("expiresAt"), "expiresAt")
        obtained_at = parse_time(result.get("obtainedAt"), "obtainedAt")
        expect(expires_at > now, f"expiresAt {result['expiresAt']} is not in the future")
        expect(obtained_at <= now + timedelta(seconds=5), f"obtainedAt {result['obtainedAt']} is in the future")
        expect(obtained_at < expires_at, "obtainedAt is not before expiresAt")
        expect(set(result) == {"token", "expiresAt", "obtainedAt"}, f"unexpected fields: {sorted(result)}")
        return {
            "workflowId": mpt_id,
            "runId": handle.result_run_id,
            "expiresAt": result["expiresAt"],
            "obtainedAt": result["obtainedAt"],
            "_token": result["token"],
        }

    mpt = await checks.run("mptSignIn.result", mpt_result)

    async def mpt_same_id() -> dict[str, Any]:
        # The first run completed: ALLOW_DUPLICATE starts a new one under the same id; a start at
        # once after it (USE_EXISTING) joins that running run instead of starting a third.
        first = await start_mpt()
        second = await start_mpt()
        assert mpt is not None
        expect(first.result_run_id != mpt["runId"], "no new run after the completed one")
        result = await result_of(second)
        if second.result_run_id == first.result_run_id:
            joined = True
        else:
            # The first finished before the second start reached the server: then it must be closed.
            described = await client.get_workflow_handle(mpt_id, run_id=first.result_run_id).describe()
            expect(
                described.status is not None and described.status.name == "COMPLETED",
                "a second run while one was running",
            )
            joined = False
        expect(isinstance(result, dict) and bool(result.get("token")), "no token from the joined run")
        return {"newRunAfterCompleted": True, "joinedRunning": joined}

    await checks.run("mptSignIn.same-id", mpt_same_id, needs=(mpt,))

    # kiscVerifyIdentity: billed; a completed run is final under its id.
    kisc_id = f"py-caller-kisc-verify-identity-{suffix}"

    async def start_kisc() -> Any:
        return await client.start_workflow(
            "kiscVerifyIdentity",
            kisc_input,
            id=kisc_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )

    async def kisc_result() -> dict[str, Any]:
        handle = await start_kisc()
        result = await result_of(handle)
        expect(isinstance(result, dict), f"the result is a {type(result).__name__}, not an object")
        expect(result.get("outcome") == "verified", f"outcome is {result.get('outcome')!r}, not 'verified'")
        similarity, minimum = result.get("similarity"), result.get("minSimilarity")
        expect(
            isinstance(similarity, (int, float)) and 0 <= similarity <= 1, f"similarity {similarity!r} is not in 0..1"
        )
        expect(minimum == kisc_input["minSimilarity"], f"minSimilarity {minimum!r} is not the input's")
        expect(similarity >= minimum, f"verified with similarity {similarity} below {minimum}")
        expect(isinstance(result.get("vendor"), str) and result["vendor"] != "", "vendor is not a non-empty string")
        key = result.get("idempotencyKey")
        expect(isinstance(key, str) and key != "", "idempotencyKey is not a non-empty string")
        verified_at = parse_time(result.get("verifiedAt"), "verifiedAt")
        expect(verified_at <= datetime.now(timezone.utc) + timedelta(seconds=5), "verifiedAt is in the future")
        data = result.get("personalData")
        expect(isinstance(data, dict) and len(data) > 0, "personalData is not a non-empty object")
        missing = result.get("missingFields") or []
        requested = set(kisc_input["personalDataFields"])
        expect(set(data) <= requested, "personalData has fields that were not requested")
        expect(
            set(data) | set(missing) == requested, "a requested field is neither in personalData nor in missingFields"
        )
        expect(all(isinstance(v, str) and v != "" for v in data.values()), "a personalData value is empty")
        return {
            "workflowId": kisc_id,
            "runId": handle.result_run_id,
            "outcome": result["outcome"],
            "similarity": similarity,
            "vendor": result["vendor"],
            "idempotencyKey": key,
            "verifiedAt": result["verifiedAt"],
            "personalDataFields": sorted(data),
            "_personalData": data,
        }

    kisc = await checks.run("kiscVerifyIdentity.result", kisc_result)

    async def kisc_same_id() -> dict[str, Any]:
        # Its completed run is final: the server refuses a second start; the recorded result stands.
        assert kisc is not None
        try:
            await start_kisc()
        except WorkflowAlreadyStartedError as err:
            expect(err.run_id == kisc["runId"], f"refused for run {err.run_id}, not the completed one")
        else:
            raise CheckFailed("a second start under a completed kiscVerifyIdentity's id was accepted (billed twice?)")
        recorded = await result_of(client.get_workflow_handle(kisc_id))
        expect(recorded.get("idempotencyKey") == kisc["idempotencyKey"], "the recorded result is another verification")
        return {"secondStartRefused": True, "recordedIdempotencyKey": recorded["idempotencyKey"]}

    await checks.run("kiscVerifyIdentity.completed-id-refused", kisc_same_id, needs=(kisc,))

    # A typed failure: the worker's InvalidInput, its message decrypted for us.
    bad_id = f"py-caller-mpt-invalid-{suffix}"

    async def invalid_input() -> dict[str, Any]:
        bad = copy.deepcopy(mpt_input)
        bad["maxChallengeAttempts"] = 99
        handle = await client.start_workflow(
            "mptSignIn",
            bad,
            id=bad_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        try:
            await result_of(handle)
        except WorkflowFailureError as err:
            cause = err.cause.cause if isinstance(err.cause, ActivityError) else err.cause
            expect(
                isinstance(cause, ApplicationError), f"the cause is a {type(cause).__name__}, not an ApplicationError"
            )
            assert isinstance(cause, ApplicationError)
            expect(cause.message != "Encoded failure", "the failure message was not decoded")
            expect(cause.type == "InvalidInput", f"type {cause.type!r}, not 'InvalidInput'")
            expect("maxChallengeAttempts" in cause.message, f"the message does not name the field: {cause.message!r}")
            expect(cause.non_retryable, "InvalidInput is retryable")
            return {"workflowId": bad_id, "runId": handle.result_run_id, "type": cause.type, "message": cause.message}
        raise CheckFailed("mptSignIn with maxChallengeAttempts 99 succeeded")

    failed_run = await checks.run("mptSignIn.invalid-input", invalid_input)

    # What the server stores: only ciphertext.
    mpt_plain = {
        "baseUrl": mpt_input["baseUrl"],
        "signer.path": mpt_input["signer"]["path"],
        "signer.password (reference)": mpt_input["signer"]["password"],
    }

    async def mpt_history() -> dict[str, Any]:
        assert mpt is not None
        history, stored = await raw_history(raw_client, mpt_id, mpt["runId"])
        return check_stored_encrypted(history, stored, {**mpt_plain, "token": mpt["_token"]}, "completed", "mptSignIn")

    async def kisc_history() -> dict[str, Any]:
        assert kisc is not None
        history, stored = await raw_history(raw_client, kisc_id, kisc["runId"])
        plaintexts = {
            "baseUrl": kisc_input["baseUrl"],
            "iin": kisc_input["iin"],
            "photo": kisc_input["photo"],
            "consentText": kisc_input["consentText"],
        }
        for field, value in kisc["_personalData"].items():
            plaintexts[f"personalData.{field}"] = str(value)
        return check_stored_encrypted(history, stored, plaintexts, "completed", "kiscVerifyIdentity")

    async def failure_history() -> dict[str, Any]:
        assert failed_run is not None
        history, stored = await raw_history(raw_client, bad_id, failed_run["runId"])
        # The message names the field: it must not be readable either.
        return check_stored_encrypted(
            history, stored, {**mpt_plain, "failure message": failed_run["message"]}, "failed", "mptSignIn"
        )

    await checks.run("history.mptSignIn.encrypted", mpt_history, needs=(mpt,))
    await checks.run("history.kiscVerifyIdentity.encrypted", kisc_history, needs=(kisc,))
    await checks.run("history.invalid-input.encrypted", failure_history, needs=(failed_run,))


async def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "all"
    if what not in ("codec", "flows", "all"):
        print(f"usage: {argv[0]} [codec|flows|all]", file=sys.stderr)
        return 2
    missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
    if missing:
        print(f"caller: missing environment: {', '.join(missing)}", file=sys.stderr)
        return 2
    env = {name: os.environ[name] for name in REQUIRED_ENV}
    manifest = env["TRUSTFLOW_SANDBOX_MANIFEST"]
    try:
        with open(manifest, encoding="utf-8") as f:
            examples = json.load(f)["examples"]
        missing = [t for t in ("mptSignIn", "kiscVerifyIdentity") if not isinstance(examples.get(t), dict)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        print(f"caller: cannot read examples from TRUSTFLOW_SANDBOX_MANIFEST {manifest}: {err}", file=sys.stderr)
        return 2
    if missing:
        print(f"caller: {manifest} has no examples.{' or examples.'.join(missing)}", file=sys.stderr)
        return 2
    checks = Checks()
    if what in ("codec", "all"):
        await codec_checks(checks, env)
    if what in ("flows", "all"):
        await flow_checks(checks, env, examples)
    if checks.failed:
        print(
            f"caller: {len(checks.failed)} of {checks.count} checks failed: {', '.join(checks.failed)}", file=sys.stderr
        )
        return 1
    print(f"caller: all {checks.count} checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv)))
