package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"trustflow.local/callers/go/trustflowcodec"
)

const (
	mptSignIn          = "mptSignIn"
	kiscVerifyIdentity = "kiscVerifyIdentity"
)

// The result shapes of src/flows/ismpt/mpt-sign-in.contract.ts and
// src/flows/kisc/kisc-verify-identity.contract.ts.
type mptSignInResult struct {
	Token      string `json:"token"`
	ExpiresAt  string `json:"expiresAt"`
	ObtainedAt string `json:"obtainedAt"`
}

type kiscVerifyIdentityResult struct {
	Outcome        string         `json:"outcome"`
	Similarity     float64        `json:"similarity"`
	MinSimilarity  float64        `json:"minSimilarity"`
	Vendor         string         `json:"vendor"`
	IdempotencyKey string         `json:"idempotencyKey"`
	VerifiedAt     string         `json:"verifiedAt"`
	PersonalData   map[string]any `json:"personalData,omitempty"`
	MissingFields  []string       `json:"missingFields,omitempty"`
}

type caller struct {
	c, raw   client.Client
	cfg      config
	examples map[string]map[string]any
}

// A run this program started, for the raw-history checks: what it must not find there in clear.
type startedRun struct {
	name              string
	workflowID, runID string
	plaintext         map[string]string // label → a value that must appear only encrypted
	failed            bool              // the run is expected to fail (its failure message is encoded)
}

func runChecks(ctx context.Context, r *reporter, c *caller) {
	r.report("workerPolling", c.waitForWorker(ctx), map[string]any{"taskQueue": c.cfg.taskQueue})

	mpt, fields, err := c.checkMptSignIn(ctx)
	r.report(mptSignIn, err, fields)

	kisc, fields, err := c.checkKiscVerifyIdentity(ctx)
	r.report(kiscVerifyIdentity, err, fields)
	if err == nil {
		r.report("kiscVerifyIdentityFinal", c.checkKiscRepeatRefused(ctx, kisc.workflowID), map[string]any{"workflowId": kisc.workflowID})
	} else {
		r.report("kiscVerifyIdentityFinal", errors.New("not checked: kiscVerifyIdentity failed"), nil)
	}

	invalid, fields, err := c.checkInvalidInput(ctx)
	r.report("invalidInput", err, fields)

	for _, run := range []startedRun{mpt, kisc, invalid} {
		check := "rawHistory:" + run.name
		if run.runID == "" {
			r.report(check, errors.New("not checked: the run did not start"), nil)
			continue
		}
		fields, err := c.checkRawHistory(ctx, run)
		r.report(check, err, fields)
	}
}

// waitForWorker: a start with no worker polling would wait silently; say so instead.
func (c *caller) waitForWorker(ctx context.Context) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err := c.c.DescribeTaskQueue(ctx, c.cfg.taskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err == nil && len(d.GetPollers()) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("describe task queue %s: %w", c.cfg.taskQueue, err)
			}
			return fmt.Errorf("no trustflow worker polls task queue %s", c.cfg.taskQueue)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *caller) checkMptSignIn(ctx context.Context) (startedRun, map[string]any, error) {
	input := c.examples[mptSignIn]
	run := startedRun{name: mptSignIn, workflowID: c.workflowID("mpt-sign-in"), plaintext: plaintextOf(input, "baseUrl", "signer.path", "signer.password")}
	fields := map[string]any{"workflowId": run.workflowID}
	// mptSignIn's id rule ('new-run'): a start while a run is going joins it; after it, a new run.
	wr, err := c.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       run.workflowID,
		TaskQueue:                c.cfg.taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, mptSignIn, input)
	if err != nil {
		return run, fields, fmt.Errorf("start: %w", err)
	}
	run.runID = wr.GetRunID()
	fields["runId"] = run.runID
	var res mptSignInResult
	if err := c.result(ctx, wr, &res); err != nil {
		return run, fields, err
	}
	run.plaintext["token"] = res.Token
	fields["tokenLength"] = len(res.Token) // never the token itself
	fields["expiresAt"] = res.ExpiresAt
	fields["obtainedAt"] = res.ObtainedAt
	if res.Token == "" {
		return run, fields, errors.New("empty token")
	}
	expires, err := time.Parse(time.RFC3339, res.ExpiresAt)
	if err != nil {
		return run, fields, fmt.Errorf("expiresAt %q is not ISO 8601: %w", res.ExpiresAt, err)
	}
	obtained, err := time.Parse(time.RFC3339, res.ObtainedAt)
	if err != nil {
		return run, fields, fmt.Errorf("obtainedAt %q is not ISO 8601: %w", res.ObtainedAt, err)
	}
	if !expires.After(time.Now()) || !expires.After(obtained) {
		return run, fields, fmt.Errorf("expiresAt %s is not in the future (obtainedAt %s)", res.ExpiresAt, res.ObtainedAt)
	}
	return run, fields, nil
}

func (c *caller) kiscStartOptions(workflowID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:        workflowID,
		TaskQueue: c.cfg.taskQueue,
		// kiscVerifyIdentity's id rule ('recorded-result'): a completed run is billed and final; only a
		// failed run may be started again under its id.
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without this the SDK hands back the existing run instead of the refusal: its result could be
		// another input's.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

func (c *caller) checkKiscVerifyIdentity(ctx context.Context) (startedRun, map[string]any, error) {
	input := c.examples[kiscVerifyIdentity]
	run := startedRun{
		name:       kiscVerifyIdentity,
		workflowID: c.workflowID("kisc-verify-identity"),
		plaintext:  plaintextOf(input, "baseUrl", "iin", "consentText", "photo", "tls.password", "signingKey.password"),
	}
	fields := map[string]any{"workflowId": run.workflowID}
	wr, err := c.c.ExecuteWorkflow(ctx, c.kiscStartOptions(run.workflowID), kiscVerifyIdentity, input)
	if err != nil {
		return run, fields, fmt.Errorf("start: %w", err)
	}
	run.runID = wr.GetRunID()
	fields["runId"] = run.runID
	var res kiscVerifyIdentityResult
	if err := c.result(ctx, wr, &res); err != nil {
		return run, fields, err
	}
	for name, v := range res.PersonalData {
		if s, ok := v.(string); ok {
			run.plaintext["personalData."+name] = s
		}
	}
	fields["outcome"] = res.Outcome
	fields["similarity"] = res.Similarity
	fields["minSimilarity"] = res.MinSimilarity
	fields["vendor"] = res.Vendor
	fields["idempotencyKey"] = res.IdempotencyKey
	fields["verifiedAt"] = res.VerifiedAt
	fields["personalDataFields"] = sortedKeys(res.PersonalData) // names only: the values are personal data
	if res.Outcome != "verified" {
		return run, fields, fmt.Errorf("outcome %q, want verified", res.Outcome)
	}
	wantMin, _ := json.Number(fmt.Sprint(input["minSimilarity"])).Float64()
	if math.Abs(res.MinSimilarity-wantMin) > 1e-9 || res.Similarity < res.MinSimilarity || res.Similarity > 1 {
		return run, fields, fmt.Errorf("similarity %v / minSimilarity %v (input %v)", res.Similarity, res.MinSimilarity, wantMin)
	}
	if res.Vendor == "" || res.IdempotencyKey == "" {
		return run, fields, errors.New("vendor or idempotencyKey is empty")
	}
	if _, err := time.Parse(time.RFC3339, res.VerifiedAt); err != nil {
		return run, fields, fmt.Errorf("verifiedAt %q is not ISO 8601", res.VerifiedAt)
	}
	// Exactly the requested fields come back (data minimisation), each present or listed as missing.
	var requested []string
	if list, ok := input["personalDataFields"].([]any); ok {
		for _, f := range list {
			requested = append(requested, fmt.Sprint(f))
		}
	}
	got := append(sortedKeys(res.PersonalData), res.MissingFields...)
	sort.Strings(got)
	sort.Strings(requested)
	if len(requested) == 0 || strings.Join(got, ",") != strings.Join(requested, ",") {
		return run, fields, fmt.Errorf("personal data fields %v (missing %v), requested %v", sortedKeys(res.PersonalData), res.MissingFields, requested)
	}
	return run, fields, nil
}

// checkKiscRepeatRefused: the same id again, after the billed run completed, must be refused.
func (c *caller) checkKiscRepeatRefused(ctx context.Context, workflowID string) error {
	wr, err := c.c.ExecuteWorkflow(ctx, c.kiscStartOptions(workflowID), kiscVerifyIdentity, c.examples[kiscVerifyIdentity])
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refused, but not as WorkflowExecutionAlreadyStarted: %w", err)
	}
	return fmt.Errorf("a second run %s started under the id of a completed (billed) run", wr.GetRunID())
}

func (c *caller) checkInvalidInput(ctx context.Context) (startedRun, map[string]any, error) {
	input := map[string]any{}
	for k, v := range c.examples[mptSignIn] {
		input[k] = v
	}
	input["maxChallengeAttempts"] = 99 // at most 10
	run := startedRun{name: "invalidInput", workflowID: c.workflowID("mpt-sign-in-invalid"), failed: true, plaintext: plaintextOf(input, "baseUrl")}
	fields := map[string]any{"workflowId": run.workflowID}
	wr, err := c.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       run.workflowID,
		TaskQueue:                c.cfg.taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, mptSignIn, input)
	if err != nil {
		return run, fields, fmt.Errorf("start: %w", err)
	}
	run.runID = wr.GetRunID()
	fields["runId"] = run.runID
	err = wr.Get(ctx, nil)
	if err == nil {
		return run, fields, errors.New("mptSignIn with maxChallengeAttempts 99 completed; expected InvalidInput")
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return run, fields, fmt.Errorf("expected an ApplicationError, got %T: %w", err, err)
	}
	fields["type"] = appErr.Type()
	fields["message"] = appErr.Message()
	fields["nonRetryable"] = appErr.NonRetryable()
	if appErr.Type() != "InvalidInput" {
		return run, fields, fmt.Errorf("error type %q, want InvalidInput", appErr.Type())
	}
	if !strings.Contains(appErr.Message(), "maxChallengeAttempts") {
		return run, fields, fmt.Errorf("message %q does not name maxChallengeAttempts (\"Encoded failure\" means the failure converter did not decode it)", appErr.Message())
	}
	return run, fields, nil
}

// result waits for a run's result. When time runs out it says why a run may hang: failed workflow
// tasks are what a worker that cannot decrypt the input (another keyring) leaves behind, retried
// until someone fixes the keys.
func (c *caller) result(ctx context.Context, wr client.WorkflowRun, valuePtr any) error {
	err := wr.Get(ctx, valuePtr)
	if err == nil || ctx.Err() == nil {
		if err != nil {
			return fmt.Errorf("result: %w", err)
		}
		return nil
	}
	probe, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failures := 0
	it := c.raw.GetWorkflowHistory(probe, wr.GetID(), wr.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, hErr := it.Next()
		if hErr != nil {
			break
		}
		if e.GetWorkflowTaskFailedEventAttributes() != nil {
			failures++
		}
	}
	if failures > 0 {
		return fmt.Errorf("no result in time (%w); the run's workflow task failed (%d recorded): the worker cannot run it, often because it cannot decrypt the input (are %s the workers' keys?)",
			err, failures, trustflowcodec.KeysEnv)
	}
	return fmt.Errorf("no result in time (%w): is a trustflow worker running on task queue %s?", err, c.cfg.taskQueue)
}

// workflowID is unique per call; it never carries input values (an IIN must not be in an id).
func (c *caller) workflowID(flow string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("go-caller-%s-%s-%s", c.cfg.codec, flow, hex.EncodeToString(b))
}

// plaintextOf picks string values by dotted path, labelled by that path.
func plaintextOf(input map[string]any, paths ...string) map[string]string {
	out := map[string]string{}
	for _, path := range paths {
		var v any = input
		for _, key := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[key]
		}
		if s, ok := v.(string); ok && s != "" {
			out[path] = s
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
