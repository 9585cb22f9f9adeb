// Package strictjson walks JSON objects key by key, the one strict decoder
// of outside input the app shares (request bodies of provision and audit,
// webhook payloads): encoding/json matches keys case-insensitively and keeps
// the last of duplicate keys, so a body like {"dryRun":true,"dryrun":false}
// or {"user":"a@x","user":"b@y"} would mean different things to different
// readers. Here keys match exactly, a repeated key is refused with EINVALID
// naming it, and so are invalid JSON, a value that is not an object and data
// after it. It knows nothing about Aircall.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
)

// Object walks the JSON object in data key by key, calling field with each
// key (exactly as sent) and its raw value, in order. path names the object
// in errors: "" for a whole body (errors then name the key, or "body"),
// else a JSON path such as "issue.fields". field's error is returned as is.
func Object(path string, data []byte, field func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return invalid(path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return domain.FieldError(name(path), "must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalid(path, err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return invalid(path, err)
		}
		if seen[key] {
			return domain.FieldError(Join(path, key), "appears twice: send each field once")
		}
		seen[key] = true
		if err := field(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return invalid(path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return domain.FieldError(name(path), "has data after the JSON object: send exactly one object")
	}
	return nil
}

// Join appends key to a JSON path; the empty key is written "".
func Join(path, key string) string {
	if key == "" {
		key = `""`
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func name(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func invalid(path string, err error) error {
	return domain.FieldError(name(path), "is not valid JSON: %s", err.Error())
}
