package graphrest

// The streaming decode of one Graph page: the value array element by element
// (each handed to the caller's callback), @odata.nextLink, @odata.deltaLink
// and @odata.count, every other member skipped without being kept.

import (
	"encoding/json"
	"fmt"
)

// callbackError marks an error returned by the caller's callback, which is
// passed through unchanged.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// walkPage walks {"@odata.nextLink":…, "@odata.deltaLink":…,
// "@odata.count":…, "value":[…]} in any key order, skipping other keys.
func walkPage(dec *json.Decoder, onValue func(*json.Decoder) error) (PageInfo, int64, error) {
	var info PageInfo
	count := int64(-1)
	if err := expectDelim(dec, '{'); err != nil {
		return info, count, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return info, count, err
		}
		key, _ := t.(string)
		switch key {
		case "value":
			if err := expectDelim(dec, '['); err != nil {
				return info, count, err
			}
			for dec.More() {
				if err := onValue(dec); err != nil {
					return info, count, err
				}
				info.Items++
			}
			if err := expectDelim(dec, ']'); err != nil {
				return info, count, err
			}
		case "@odata.nextLink", "@odata.deltaLink":
			var s string
			if err := dec.Decode(&s); err != nil {
				return info, count, err
			}
			if key == "@odata.nextLink" {
				info.Next = s
			} else {
				info.DeltaLink = s
			}
		case "@odata.count":
			if err := dec.Decode(&count); err != nil {
				return info, count, err
			}
		default:
			if err := skipValue(dec); err != nil {
				return info, count, err
			}
		}
	}
	return info, count, expectDelim(dec, '}')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, got %v", want, t)
	}
	return nil
}

// skipValue consumes one JSON value of any shape without keeping it.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
