// Package trustflowcodec is trustflow's payload encryption for Go callers, as a local
// converter.PayloadCodec: AES-256-GCM over the protobuf bytes of the whole Payload, with the key id
// as additional data (so a ciphertext cannot be passed off under another key id). The contract is
// contract/codec-vectors.json in the trustflow repository; src/codec/payload-codec.ts is the
// reference implementation.
package trustflowcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const (
	// EncryptedEncoding is the encoding metadata of every payload this codec produced.
	EncryptedEncoding = "binary/encrypted"
	// KeyIDMetadata names the metadata entry that says which key encrypted a payload.
	KeyIDMetadata = "encryption-key-id"
	// KeysEnv is where callers configure the keyring: "id:base64,id:base64", first key encrypts.
	KeysEnv = "TRUSTFLOW_CODEC_KEYS"

	ivBytes  = 12
	tagBytes = 16
	keyBytes = 32
)

// Same rule as trustflow's keyring parser, so a keyring one accepts the other accepts too.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Keyring holds AES-256 keys by id; ActiveKeyID encrypts, every key decrypts.
type Keyring struct {
	ActiveKeyID string
	Keys        map[string][]byte
}

// ParseKeyring reads "id:base64" entries separated by commas or newlines, as trustflow's keyring
// files are written (# starts a comment). Errors name the entry's position and id, never key material.
func ParseKeyring(text string) (*Keyring, error) {
	k := &Keyring{Keys: map[string][]byte{}}
	n := 0
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#") // comments first: they may contain commas
		for _, entry := range strings.Split(line, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			n++
			id, b64, found := strings.Cut(entry, ":")
			if !found || !keyIDPattern.MatchString(id) {
				return nil, fmt.Errorf("keyring entry %d must look like id:base64 with an id of letters, digits, . _ -", n)
			}
			key, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(key) != keyBytes {
				return nil, fmt.Errorf("keyring key %q must be %d bytes of base64 (AES-256)", id, keyBytes)
			}
			if _, dup := k.Keys[id]; dup {
				return nil, fmt.Errorf("keyring key id %q appears twice", id)
			}
			k.Keys[id] = key
			if k.ActiveKeyID == "" {
				k.ActiveKeyID = id
			}
		}
	}
	if n == 0 {
		return nil, errors.New("keyring has no keys (expected id:base64 entries)")
	}
	return k, nil
}

// KeyringFromEnv parses TRUSTFLOW_CODEC_KEYS.
func KeyringFromEnv() (*Keyring, error) {
	text := os.Getenv(KeysEnv)
	if text == "" {
		return nil, fmt.Errorf("%s is not set", KeysEnv)
	}
	k, err := ParseKeyring(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KeysEnv, err)
	}
	return k, nil
}

// Codec is trustflow's payload codec.
type Codec struct {
	keyring *Keyring
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over the keyring.
func New(keyring *Keyring) *Codec { return &Codec{keyring: keyring} }

// NewDataConverter is the default data converter with trustflow's encryption on top.
func NewDataConverter(keyring *Keyring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(keyring))
}

// Encode encrypts each payload under the active key with a fresh random IV.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keyring.ActiveKeyID
	key := c.keyring.Keys[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("marshal payload: %w", err)
		}
		iv := make([]byte, ivBytes)
		if _, err := rand.Read(iv); err != nil {
			return nil, err
		}
		if out[i], err = sealWithIV(plain, id, key, iv); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Decode decrypts binary/encrypted payloads and passes others through. An unknown key id, a
// missing key id or a failed tag is an error: passing such a payload through would hand ciphertext
// to the JSON converter, or hide tampering.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()["encoding"]) != EncryptedEncoding {
			out[i] = p
			continue
		}
		idBytes, ok := p.GetMetadata()[KeyIDMetadata]
		if !ok || len(idBytes) == 0 {
			return nil, fmt.Errorf("encrypted payload without %s metadata", KeyIDMetadata)
		}
		id := string(idBytes)
		key, ok := c.keyring.Keys[id]
		if !ok {
			return nil, fmt.Errorf("payload was encrypted with codec key %q, which this process does not have: add it to %s (after the active key)", id, KeysEnv)
		}
		data := p.GetData()
		if len(data) < ivBytes+tagBytes {
			return nil, errors.New("encrypted payload is too short")
		}
		aead, err := newGCM(key)
		if err != nil {
			return nil, err
		}
		plain, err := aead.Open(nil, data[:ivBytes], data[ivBytes:], idBytes)
		if err != nil {
			return nil, fmt.Errorf("encrypted payload failed authentication with codec key %q (tampered, or a different key under that id)", id)
		}
		decoded := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, decoded); err != nil {
			return nil, fmt.Errorf("decrypted payload is not a Payload: %w", err)
		}
		out[i] = decoded
	}
	return out, nil
}

// sealWithIV encrypts a Payload's protobuf bytes under key with this IV. Encode draws a random
// IV for every payload; a fixed one is only for checking against the published vectors.
func sealWithIV(payloadProtobuf []byte, keyID string, key, iv []byte) (*commonpb.Payload, error) {
	if len(iv) != ivBytes {
		return nil, fmt.Errorf("the IV must be %d bytes", ivBytes)
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	// Seal appends ciphertext ‖ tag to the IV: exactly the data layout of the contract.
	data := aead.Seal(append([]byte{}, iv...), iv, payloadProtobuf, []byte(keyID))
	return &commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte(EncryptedEncoding), KeyIDMetadata: []byte(keyID)},
		Data:     data,
	}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block) // 12-byte nonce, 16-byte tag: the contract's sizes
}
