// Command caller calls trustflow the way a bank's Go service would: with the official Go SDK and
// trustflow's payload encryption, either through trustflow's codec server (-codec remote) or with
// the local codec (-codec local). It starts mptSignIn and kiscVerifyIdentity, checks their results,
// a typed failure and that the server stores only ciphertext, and prints one JSON line per check.
// It exits 1 when a check failed, 2 when it could not run at all.
//
// Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TRUSTFLOW_TASK_QUEUE, TRUSTFLOW_CODEC_ENDPOINT,
// TRUSTFLOW_CODEC_AUTH_TOKEN (remote), TRUSTFLOW_CODEC_KEYS (local), TRUSTFLOW_SANDBOX_MANIFEST.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"trustflow.local/callers/go/trustflowcodec"
)

type config struct {
	address, namespace, taskQueue string
	codec                         string
	codecEndpoint, codecToken     string
	manifestPath                  string
}

func main() {
	codec := flag.String("codec", "remote", "remote: trustflow's codec server; local: encrypt in this process")
	timeout := flag.Duration("timeout", 3*time.Minute, "give up on the whole run after this long")
	flag.Parse()

	cfg, err := configFromEnv(*codec)
	if err != nil {
		fatal(err)
	}
	examples, err := readExamples(cfg.manifestPath)
	if err != nil {
		fatal(err)
	}
	dc, err := dataConverter(cfg)
	if err != nil {
		fatal(err)
	}
	// The SDK logs to stdout by default; stdout is for the JSON lines only.
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:      cfg.address,
		Namespace:     cfg.namespace,
		DataConverter: dc,
		// trustflow's workers encrypt failure messages and stack traces (encoded attributes): this
		// decodes them with the same data converter, so errors carry the real message.
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
			DataConverter:          dc,
			EncodeCommonAttributes: true,
		}),
		Logger: logger,
	})
	if err != nil {
		fatal(fmt.Errorf("connect to %s: %w", cfg.address, err))
	}
	defer c.Close()
	// What anyone with access to the server sees: the default converter, no codec.
	raw, err := client.NewClientFromExisting(c, client.Options{Namespace: cfg.namespace, Logger: logger})
	if err != nil {
		fatal(fmt.Errorf("second client without codec: %w", err))
	}
	defer raw.Close()

	r := &reporter{codec: cfg.codec}
	runChecks(ctx, r, &caller{c: c, raw: raw, cfg: cfg, examples: examples})
	if r.failed > 0 {
		fmt.Fprintf(os.Stderr, "go caller (-codec %s): %d of %d checks failed: %s\n", cfg.codec, r.failed, r.total, strings.Join(r.failedNames, ", "))
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "go caller (-codec %s): all %d checks passed\n", cfg.codec, r.total)
}

func configFromEnv(codec string) (config, error) {
	cfg := config{
		address:       os.Getenv("TEMPORAL_ADDRESS"),
		namespace:     os.Getenv("TEMPORAL_NAMESPACE"),
		taskQueue:     os.Getenv("TRUSTFLOW_TASK_QUEUE"),
		codec:         codec,
		codecEndpoint: os.Getenv("TRUSTFLOW_CODEC_ENDPOINT"),
		codecToken:    os.Getenv("TRUSTFLOW_CODEC_AUTH_TOKEN"),
		manifestPath:  os.Getenv("TRUSTFLOW_SANDBOX_MANIFEST"),
	}
	if cfg.namespace == "" {
		cfg.namespace = "default"
	}
	need := map[string]string{"TEMPORAL_ADDRESS": cfg.address, "TRUSTFLOW_TASK_QUEUE": cfg.taskQueue, "TRUSTFLOW_SANDBOX_MANIFEST": cfg.manifestPath}
	switch codec {
	case "remote":
		need["TRUSTFLOW_CODEC_ENDPOINT"] = cfg.codecEndpoint
		need["TRUSTFLOW_CODEC_AUTH_TOKEN"] = cfg.codecToken
	case "local":
		need[trustflowcodec.KeysEnv] = os.Getenv(trustflowcodec.KeysEnv)
	default:
		return cfg, fmt.Errorf("-codec must be remote or local, not %q", codec)
	}
	var missing []string
	for name, value := range need {
		if value == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("set %s (-codec %s)", strings.Join(missing, ", "), codec)
	}
	return cfg, nil
}

// dataConverter is the default (JSON) converter with trustflow's encryption on top: remote through
// the codec server with its bearer token, or local with the keyring.
func dataConverter(cfg config) (converter.DataConverter, error) {
	if cfg.codec == "local" {
		keyring, err := trustflowcodec.KeyringFromEnv()
		if err != nil {
			return nil, err
		}
		return trustflowcodec.NewDataConverter(keyring), nil
	}
	return converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		// The SDK posts to <Endpoint>/encode and <Endpoint>/decode and sends no X-Namespace: the
		// namespace goes in the path (/{namespace}/encode), as the codec server serves it.
		Endpoint: strings.TrimRight(cfg.codecEndpoint, "/") + "/" + url.PathEscape(cfg.namespace),
		ModifyRequest: func(req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+cfg.codecToken)
			return nil
		},
		Client: http.Client{Timeout: 15 * time.Second},
	}), nil
}

// readExamples reads the sandbox manifest's ready inputs, numbers kept as written.
func readExamples(path string) (map[string]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sandbox manifest: %w", err)
	}
	defer f.Close()
	var m struct {
		Examples map[string]map[string]any `json:"examples"`
	}
	dec := json.NewDecoder(f)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("sandbox manifest %s: %w", path, err)
	}
	for _, t := range []string{mptSignIn, kiscVerifyIdentity} {
		if m.Examples[t] == nil {
			return nil, fmt.Errorf("sandbox manifest %s has no examples.%s", path, t)
		}
	}
	return m.Examples, nil
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "go caller: %v\n", err)
	os.Exit(2)
}

// reporter prints one JSON line per check on stdout. Fields never carry secrets (no token, no
// personal data values).
type reporter struct {
	codec         string
	total, failed int
	failedNames   []string
}

func (r *reporter) report(check string, err error, fields map[string]any) {
	line := map[string]any{"check": check, "codec": r.codec, "ok": err == nil}
	for k, v := range fields {
		line[k] = v
	}
	r.total++
	if err != nil {
		line["error"] = err.Error()
		r.failed++
		r.failedNames = append(r.failedNames, check)
	}
	b, mErr := json.Marshal(line)
	if mErr != nil {
		b = []byte(fmt.Sprintf(`{"check":%q,"ok":false,"error":"unprintable result"}`, check))
	}
	fmt.Println(string(b))
}
