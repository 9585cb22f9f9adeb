package strictjson_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/strictjson"
)

func TestObject(t *testing.T) {
	for _, tc := range []struct {
		path, body, field, msg string
		keys                   string
	}{
		{"", `{"a":1,"A":2,"b":{"a":1,"a":2}}`, "", "", "a,A,b"},
		{"", `{"a":1,"a":2}`, "a", "appears twice", ""},
		{"issue", `{"key":"X","key":"Y"}`, "issue.key", "appears twice", ""},
		{"", `[1]`, "body", "JSON object", ""},
		{"ticket", `"x"`, "ticket", "JSON object", ""},
		{"", `{"a":1} {}`, "body", "data after", ""},
		{"", `{"a":`, "body", "not valid JSON", ""},
		{"", ``, "body", "not valid JSON", ""},
	} {
		var keys []string
		err := strictjson.Object(tc.path, []byte(tc.body), func(k string, _ json.RawMessage) error {
			keys = append(keys, k)
			return nil
		})
		if tc.field == "" {
			if err != nil || strings.Join(keys, ",") != tc.keys {
				t.Errorf("%s: keys %v, err %v", tc.body, keys, err)
			}
			continue
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tc.field || !strings.Contains(de.Message, tc.msg) {
			t.Errorf("%s: %v, want EINVALID on %s (%s)", tc.body, err, tc.field, tc.msg)
		}
	}
}

// FuzzObject: any input is walked or refused with EINVALID naming a field;
// every key is reported once and a walked object re-encodes to the same keys.
func FuzzObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[1,{"c":2}]}`, `{"a":1,"a":2}`, `{"A":1,"a":2}`, `[]`, `{"a":1}x`, "\ufeff{}", `{"\u0061":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[string]bool{}
		err := strictjson.Object("", data, func(k string, raw json.RawMessage) error {
			if seen[k] {
				t.Fatalf("key %q reported twice", k)
			}
			seen[k] = true
			if !json.Valid(raw) {
				t.Fatalf("value of %q is not JSON: %q", k, raw)
			}
			return nil
		})
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field == "" {
				t.Fatalf("error %v is not EINVALID naming a field", err)
			}
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil || len(m) != len(seen) {
			t.Fatalf("walked %d keys of %q, encoding/json sees %d", len(seen), data, len(m))
		}
	})
}
