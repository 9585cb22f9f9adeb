package functions

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// eachField walks the JSON object in body key by key, calling field with each
// key and its raw value. encoding/json matches keys case-insensitively and
// keeps the last of duplicates, so request decoders walk the keys themselves:
// a repeated key, invalid JSON or data after the object is refused here, and
// field refuses unknown keys and bad values.
func eachField(body []byte, field func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return domain.Errorf(domain.EINVALID, "the body is not valid JSON: %s", err.Error())
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return domain.Errorf(domain.EINVALID, "the body is not valid JSON: %s", err.Error())
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return domain.Errorf(domain.EINVALID, "the body is not valid JSON: %s", err.Error())
		}
		if seen[key] {
			return domain.FieldError(key, "appears twice")
		}
		seen[key] = true
		if err := field(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return domain.Errorf(domain.EINVALID, "the body is not valid JSON: %s", err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return domain.Errorf(domain.EINVALID, "the body has data after the JSON object: send exactly one object")
	}
	return nil
}
