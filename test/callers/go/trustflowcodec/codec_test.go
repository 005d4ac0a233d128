package trustflowcodec

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
)

// The committed vectors, as contract/codec-vectors.json writes them (metadata and data in base64).
type jsonPayload struct {
	Metadata map[string]string `json:"metadata"`
	Data     string            `json:"data"`
}

type vectorKey struct {
	ID        string `json:"id"`
	KeyBase64 string `json:"keyBase64"`
}

type vectorFile struct {
	Format  map[string]string `json:"format"`
	Vectors []struct {
		Name                  string      `json:"name"`
		Key                   vectorKey   `json:"key"`
		IVHex                 string      `json:"ivHex"`
		Payload               jsonPayload `json:"payload"`
		PayloadProtobufBase64 string      `json:"payloadProtobufBase64"`
		Encrypted             jsonPayload `json:"encrypted"`
	} `json:"vectors"`
	MustFail []struct {
		Name      string      `json:"name"`
		Why       string      `json:"why"`
		Keys      []vectorKey `json:"keys"`
		Encrypted jsonPayload `json:"encrypted"`
	} `json:"mustFail"`
}

// vectorsPath is TRUSTFLOW_CODEC_VECTORS, or contract/codec-vectors.json found above this package.
func vectorsPath(t *testing.T) string {
	if p := os.Getenv("TRUSTFLOW_CODEC_VECTORS"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "contract", "codec-vectors.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("contract/codec-vectors.json not found above the module; set TRUSTFLOW_CODEC_VECTORS")
		}
		dir = parent
	}
}

func loadVectors(t *testing.T) vectorFile {
	raw, err := os.ReadFile(vectorsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("codec vectors: %v", err)
	}
	if len(v.Vectors) == 0 || len(v.MustFail) == 0 {
		t.Fatal("codec vectors: no vectors or no mustFail entries")
	}
	return v
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}
	return b
}

func toPayload(t *testing.T, j jsonPayload) *commonpb.Payload {
	t.Helper()
	p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: b64(t, j.Data)}
	for k, v := range j.Metadata {
		p.Metadata[k] = b64(t, v)
	}
	return p
}

func keyringOf(t *testing.T, keys ...vectorKey) *Keyring {
	t.Helper()
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = k.ID + ":" + k.KeyBase64
	}
	k, err := ParseKeyring(strings.Join(entries, ","))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func samePayload(t *testing.T, what string, got, want *commonpb.Payload) {
	t.Helper()
	if len(got.GetMetadata()) != len(want.GetMetadata()) {
		t.Errorf("%s: metadata keys %v, want %v", what, keysOf(got.GetMetadata()), keysOf(want.GetMetadata()))
	}
	for k, v := range want.GetMetadata() {
		if !bytes.Equal(got.GetMetadata()[k], v) {
			t.Errorf("%s: metadata %s = %q, want %q", what, k, got.GetMetadata()[k], v)
		}
	}
	if !bytes.Equal(got.GetData(), want.GetData()) {
		t.Errorf("%s: data differs:\n got %x\nwant %x", what, got.GetData(), want.GetData())
	}
}

func keysOf(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFormatIsTheOneImplemented(t *testing.T) {
	// If the contract's format changes, this codec must be revisited, not silently pass old vectors.
	f := loadVectors(t).Format
	for field, want := range map[string]string{
		"algorithm": "AES-256-GCM, 12-byte IV, 16-byte tag",
		"data":      "IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes)",
	} {
		if f[field] != want {
			t.Errorf("format.%s = %q, this codec implements %q", field, f[field], want)
		}
	}
	for field, needle := range map[string]string{
		"plaintext":      "whole temporal.api.common.v1.Payload",
		"additionalData": "the key id",
		"metadata":       "binary/encrypted",
	} {
		if !strings.Contains(f[field], needle) {
			t.Errorf("format.%s = %q, expected it to mention %q", field, f[field], needle)
		}
	}
}

func TestVectorsEncryptByteForByte(t *testing.T) {
	for _, v := range loadVectors(t).Vectors {
		t.Run(v.Name, func(t *testing.T) {
			iv, err := hex.DecodeString(v.IVHex)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sealWithIV(b64(t, v.PayloadProtobufBase64), v.Key.ID, b64(t, v.Key.KeyBase64), iv)
			if err != nil {
				t.Fatal(err)
			}
			samePayload(t, "encrypted", got, toPayload(t, v.Encrypted))
		})
	}
}

func TestVectorsDecode(t *testing.T) {
	for _, v := range loadVectors(t).Vectors {
		t.Run(v.Name, func(t *testing.T) {
			out, err := New(keyringOf(t, v.Key)).Decode([]*commonpb.Payload{toPayload(t, v.Encrypted)})
			if err != nil {
				t.Fatal(err)
			}
			samePayload(t, "decoded", out[0], toPayload(t, v.Payload))
		})
	}
}

func TestVectorsMustFail(t *testing.T) {
	for _, v := range loadVectors(t).MustFail {
		t.Run(v.Name, func(t *testing.T) {
			out, err := New(keyringOf(t, v.Keys...)).Decode([]*commonpb.Payload{toPayload(t, v.Encrypted)})
			if err == nil {
				t.Fatalf("decoded (%d payloads) but must fail: %s", len(out), v.Why)
			}
		})
	}
}

func TestRoundTripWithRandomIV(t *testing.T) {
	v := loadVectors(t).Vectors[0]
	codec := New(keyringOf(t, v.Key))
	in := toPayload(t, v.Payload)
	enc, err := codec.Encode([]*commonpb.Payload{in, in})
	if err != nil {
		t.Fatal(err)
	}
	if string(enc[0].Metadata["encoding"]) != EncryptedEncoding || string(enc[0].Metadata[KeyIDMetadata]) != v.Key.ID {
		t.Fatalf("metadata %v", enc[0].Metadata)
	}
	if bytes.Equal(enc[0].Data[:ivBytes], enc[1].Data[:ivBytes]) {
		t.Fatal("two payloads were encrypted with the same IV")
	}
	dec, err := codec.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	samePayload(t, "round trip", dec[0], in)
}

func TestDecodePassesThroughUnencrypted(t *testing.T) {
	plain := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"a":1}`)}
	out, err := New(keyringOf(t, loadVectors(t).Vectors[0].Key)).Decode([]*commonpb.Payload{plain})
	if err != nil || out[0] != plain {
		t.Fatalf("unencrypted payload not passed through: %v", err)
	}
}

func TestDecodeRefusesMissingKeyID(t *testing.T) {
	v := loadVectors(t).Vectors[0]
	p := toPayload(t, v.Encrypted)
	delete(p.Metadata, KeyIDMetadata)
	if _, err := New(keyringOf(t, v.Key)).Decode([]*commonpb.Payload{p}); err == nil {
		t.Fatal("an encrypted payload without a key id was accepted")
	}
}

func TestParseKeyring(t *testing.T) {
	k1 := "a:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := "b.2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	k, err := ParseKeyring(" " + k1 + " ,\n" + k2 + ",")
	if err != nil {
		t.Fatal(err)
	}
	if k.ActiveKeyID != "a" || len(k.Keys) != 2 {
		t.Fatalf("active %q, %d keys", k.ActiveKeyID, len(k.Keys))
	}
	// The file form: comments (which may hold commas) and one entry per line.
	file, err := ParseKeyring("# trustflow codec keys, first = active\n" + k2 + " # new\n" + k1 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if file.ActiveKeyID != "b.2" || len(file.Keys) != 2 {
		t.Fatalf("file form: active %q, %d keys", file.ActiveKeyID, len(file.Keys))
	}
	for _, bad := range []string{"", "nokey", "a:AAAA", k1 + "," + k1, "bad id:" + k1[2:]} {
		if _, err := ParseKeyring(bad); err == nil {
			t.Errorf("keyring %q accepted", bad)
		} else if strings.Contains(err.Error(), k1[2:]) {
			t.Errorf("error names key material: %v", err)
		}
	}
}
