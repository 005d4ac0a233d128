package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"trustflow.local/callers/go/trustflowcodec"
)

// What the server keeps in place of a failure's message when the worker encoded it.
const encodedFailureMessage = "Encoded failure"

// checkRawHistory reads a run's history through the client without codec, as anyone with access to
// the server could: its input and result must be ciphertext, no input value in clear anywhere, and
// a failure's message only "Encoded failure".
func (c *caller) checkRawHistory(ctx context.Context, run startedRun) (map[string]any, error) {
	fields := map[string]any{"workflowId": run.workflowID, "runId": run.runID}
	var events []*historypb.HistoryEvent
	it := c.raw.GetWorkflowHistory(ctx, run.workflowID, run.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return fields, fmt.Errorf("history: %w", err)
		}
		events = append(events, e)
	}
	serialized, err := proto.Marshal(&historypb.History{Events: events})
	if err != nil {
		return fields, err
	}
	fields["events"] = len(events)
	fields["bytes"] = len(serialized)

	var problems []string
	var input, result *commonpb.Payloads
	var failed *historypb.WorkflowExecutionFailedEventAttributes
	for _, e := range events {
		if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			input = a.GetInput()
		}
		if a := e.GetWorkflowExecutionCompletedEventAttributes(); a != nil {
			result = a.GetResult()
		}
		if a := e.GetWorkflowExecutionFailedEventAttributes(); a != nil {
			failed = a
		}
	}
	problems = append(problems, encryptedProblems("input", input)...)
	if run.failed {
		if failed == nil {
			problems = append(problems, "no WorkflowExecutionFailed event")
		} else {
			f := failed.GetFailure()
			fields["rawFailureMessage"] = f.GetMessage()
			if f.GetMessage() != encodedFailureMessage {
				problems = append(problems, fmt.Sprintf("the stored failure message is %q, not %q", f.GetMessage(), encodedFailureMessage))
			}
			problems = append(problems, encryptedProblems("failure attributes", &commonpb.Payloads{Payloads: []*commonpb.Payload{f.GetEncodedAttributes()}})...)
		}
		// And a client without the codec reads no more than that.
		err := c.raw.GetWorkflow(ctx, run.workflowID, run.runID).Get(ctx, nil)
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) {
			problems = append(problems, fmt.Sprintf("the client without codec got %v, not an ApplicationError", err))
		} else if fields["rawClientMessage"] = appErr.Message(); appErr.Message() != encodedFailureMessage {
			problems = append(problems, fmt.Sprintf("the client without codec read the failure message %q", appErr.Message()))
		}
	} else {
		problems = append(problems, encryptedProblems("result", result)...)
	}

	labels := make([]string, 0, len(run.plaintext))
	for label := range run.plaintext {
		labels = append(labels, label)
	}
	sort.Strings(labels)
	fields["searchedFor"] = labels // labels only: the values are secrets or personal data
	for _, label := range labels {
		if containsAnyForm(serialized, run.plaintext[label]) {
			problems = append(problems, fmt.Sprintf("%s appears in clear in the stored history", label))
		}
	}
	if len(labels) == 0 {
		problems = append(problems, "no input values to look for")
	}
	if len(problems) > 0 {
		return fields, errors.New(strings.Join(problems, "; "))
	}
	return fields, nil
}

func encryptedProblems(what string, payloads *commonpb.Payloads) []string {
	if len(payloads.GetPayloads()) == 0 {
		return []string{what + ": no payloads"}
	}
	var out []string
	for i, p := range payloads.GetPayloads() {
		if enc := string(p.GetMetadata()["encoding"]); enc != trustflowcodec.EncryptedEncoding {
			out = append(out, fmt.Sprintf("%s payload %d has encoding %q, not %s", what, i, enc, trustflowcodec.EncryptedEncoding))
		} else if len(p.GetMetadata()[trustflowcodec.KeyIDMetadata]) == 0 {
			out = append(out, fmt.Sprintf("%s payload %d has no %s", what, i, trustflowcodec.KeyIDMetadata))
		}
	}
	return out
}

// containsAnyForm: the value raw, or in base64, base64url or hex (forms a payload could carry it in).
func containsAnyForm(haystack []byte, value string) bool {
	raw := []byte(value)
	forms := [][]byte{raw}
	if len(raw) >= 6 {
		forms = append(forms,
			[]byte(base64.StdEncoding.EncodeToString(raw)),
			[]byte(base64.RawURLEncoding.EncodeToString(raw)),
			[]byte(hex.EncodeToString(raw)))
	}
	for _, f := range forms {
		if len(f) > 0 && bytes.Contains(haystack, f) {
			return true
		}
	}
	return false
}
