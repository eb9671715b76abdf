package payloadcrypt

import (
	"crypto/cipher"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// The metadata of an encrypted payload: its encoding, and the ID of the key
// that encrypted it, which decrypts it. The names are those of Temporal's
// encryption samples, so tools that know them recognise the payloads.
const (
	Encoding      = "binary/encrypted"
	MetadataKeyID = "encryption-key-id"
)

// Codec encrypts payloads with its current key and decrypts them with the
// key they name.
type Codec struct {
	current string
	keys    map[string]cipher.AEAD
}

// Encode encrypts each payload, metadata and all (its encoding says how its
// data was serialized), into a payload of encoding Encoding.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.keys[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte(c.current)},
			Data:     aead.Seal(nil, nil, plain, nil),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload back into the payload it was, and
// passes any other through unchanged: histories recorded before encryption,
// and the search attributes, which are never encrypted.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		kid := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys[kid]
		if !ok && !kidPattern.MatchString(kid) {
			// Not a key ID this codec could ever have made: not quoted, as
			// errors reach the codec server's callers.
			return nil, errors.New("payloadcrypt: the payload names no valid key ID (1 to 64 letters, digits or ._-)")
		}
		if !ok {
			return nil, fmt.Errorf("payloadcrypt: the payload was encrypted with key %q, which is not among the keys (PAYLOAD_ENCRYPTION_KEYS): "+
				"a retired key dropped too soon, or a payload from another environment", kid)
		}
		plain, err := aead.Open(nil, nil, p.GetData(), nil)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: the payload encrypted with key %q does not decrypt: it was altered, or another key has that ID", kid)
		}
		decoded := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, decoded); err != nil {
			return nil, fmt.Errorf("payloadcrypt: the payload encrypted with key %q decrypts to no payload: %w", kid, err)
		}
		out[i] = decoded
	}
	return out, nil
}
