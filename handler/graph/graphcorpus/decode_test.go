package graphcorpus_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// sdkFactories are the msgraph-sdk-go parsable factories of the models the
// SDK adapter (handler/graph) decodes its answers into.
func sdkFactories() map[string]serialization.ParsableFactory {
	return map[string]serialization.ParsableFactory{
		"ApplicationCollectionResponse":         models.CreateApplicationCollectionResponseFromDiscriminatorValue,
		"Application":                           models.CreateApplicationFromDiscriminatorValue,
		"ServicePrincipalCollectionResponse":    models.CreateServicePrincipalCollectionResponseFromDiscriminatorValue,
		"ServicePrincipal":                      models.CreateServicePrincipalFromDiscriminatorValue,
		"ApplicationServicePrincipal":           models.CreateApplicationServicePrincipalFromDiscriminatorValue,
		"SelfSignedCertificate":                 models.CreateSelfSignedCertificateFromDiscriminatorValue,
		"ClaimsMappingPolicyCollectionResponse": models.CreateClaimsMappingPolicyCollectionResponseFromDiscriminatorValue,
		"ClaimsMappingPolicy":                   models.CreateClaimsMappingPolicyFromDiscriminatorValue,
		"AppRoleAssignmentCollectionResponse":   models.CreateAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
		"AppRoleAssignment":                     models.CreateAppRoleAssignmentFromDiscriminatorValue,
		"DirectoryObjectCollectionResponse":     models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue,
	}
}

// TestSDKDecodesTheDocumentedExamples: each sdk:* fixture parses with the
// SDK's factory, and every path the code reads comes out of the typed
// getters (not the untyped additional data) with the example's value.
func TestSDKDecodesTheDocumentedExamples(t *testing.T) {
	factories := sdkFactories()
	for _, f := range loadFixtures(t) {
		model, ok := strings.CutPrefix(f.Decoder, "sdk:")
		if !ok {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			factory, ok := factories[model]
			if !ok {
				t.Fatalf("no SDK factory for %s", model)
			}
			node, err := jsonserialization.NewJsonParseNode(f.Response)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := node.GetObjectValue(factory)
			if err != nil || parsed == nil {
				t.Fatalf("%s: %v", model, err)
			}
			var doc any
			if err := json.Unmarshal(f.Response, &doc); err != nil {
				t.Fatal(err)
			}
			for _, p := range f.Reads {
				want, _ := at(doc, p)
				got, err := getter(reflect.ValueOf(parsed), p)
				if err != nil {
					t.Errorf("%s: %v", p, err)
					continue
				}
				if !sameValue(got, want) {
					t.Errorf("%s: the SDK decoded %v, the example has %v", p, got.Interface(), want)
				}
			}
		})
	}
}

// getter follows path through the model's Get… methods ("value[]" calls
// GetValue and takes the first item; "@odata.count" is GetOdataCount).
func getter(v reflect.Value, path string) (reflect.Value, error) {
	for _, seg := range strings.Split(path, "/") {
		list := strings.HasSuffix(seg, "[]")
		name := strings.TrimSuffix(seg, "[]")
		if rest, ok := strings.CutPrefix(name, "@odata."); ok {
			name = "odata" + strings.ToUpper(rest[:1]) + rest[1:]
		}
		m := v.MethodByName("Get" + strings.ToUpper(name[:1]) + name[1:])
		if !m.IsValid() {
			return v, fmt.Errorf("the SDK model %s has no getter for %q", v.Type(), seg)
		}
		v = m.Call(nil)[0]
		if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface || v.Kind() == reflect.Slice) && v.IsNil() {
			return v, fmt.Errorf("%q decoded to nil", seg)
		}
		if list {
			if v.Kind() != reflect.Slice || v.Len() == 0 {
				return v, fmt.Errorf("%q is not a non-empty list", seg)
			}
			v = v.Index(0)
		}
	}
	return v, nil
}

// sameValue compares a decoded scalar with the example's JSON value;
// objects and lists only need to have decoded.
func sameValue(got reflect.Value, want any) bool {
	for got.Kind() == reflect.Pointer || got.Kind() == reflect.Interface {
		got = got.Elem()
	}
	switch g := got.Interface().(type) {
	case string:
		return g == want
	case bool:
		return g == want
	case int32, int64:
		return fmt.Sprint(g) == fmt.Sprint(want)
	case uuid.UUID:
		return g.String() == want
	case time.Time:
		w, err := time.Parse(time.RFC3339, fmt.Sprint(want))
		return err == nil && g.Equal(w)
	case []byte:
		return base64.StdEncoding.EncodeToString(g) == want
	case []string:
		w, _ := want.([]any)
		return len(w) == len(g) && (len(g) == 0 || g[0] == w[0])
	}
	return true
}
