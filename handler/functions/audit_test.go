package functions_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/identity-ops/aircall-entra-sso/handler/audit"
	"github.com/identity-ops/aircall-entra-sso/handler/domain"
	"github.com/identity-ops/aircall-entra-sso/handler/funchost"
	"github.com/identity-ops/aircall-entra-sso/handler/functions"
)

func TestDecodeAuditRequest(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		want           audit.Request
		code           domain.Code
		msg            string
	}{
		{name: "empty body", want: audit.Request{}},
		{name: "both", ct: "application/json", body: `{"dryRun":true,"full":true}`, want: audit.Request{DryRun: true, Full: true}},
		{name: "dry run with its report", ct: "application/json", body: `{"dryRun":true,"saveReport":true}`, want: audit.Request{DryRun: true, SaveReport: true}},
		{name: "charset", ct: "application/json; charset=utf-8", body: `{"full":true}`, want: audit.Request{Full: true}},
		{name: "wrong type", ct: "text/plain", body: `{"full":true}`, code: domain.EMEDIATYPE, msg: "Content-Type"},
		{name: "unknown field", ct: "application/json", body: `{"ful":true}`, code: domain.EINVALID, msg: `unknown field "ful"`},
		{name: "case", ct: "application/json", body: `{"dryrun":true}`, code: domain.EINVALID, msg: "case-sensitive"},
		{name: "twice", ct: "application/json", body: `{"full":false,"full":true}`, code: domain.EINVALID, msg: "appears twice"},
		{name: "string bool", ct: "application/json", body: `{"dryRun":"yes"}`, code: domain.EINVALID, msg: "dryRun: must be true or false"},
		{name: "null", ct: "application/json", body: `{"dryRun":null}`, code: domain.EINVALID, msg: "must be true or false"},
		{name: "array", ct: "application/json", body: `[true]`, code: domain.EINVALID, msg: "JSON object"},
		{name: "trailing", ct: "application/json", body: `{"full":true}{}`, code: domain.EINVALID, msg: "after the JSON object"},
		{name: "broken", ct: "application/json", body: `{"full":tru`, code: domain.EINVALID, msg: "not valid JSON"},
		{name: "too large", ct: "application/json", body: `{"full":true,` + strings.Repeat(" ", functions.MaxAuditBody) + `}`, code: domain.ETOOLARGE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := functions.DecodeAuditRequest(tc.ct, []byte(tc.body))
			if tc.code != "" {
				if !domain.IsCode(err, tc.code) || !strings.Contains(domain.ErrorMessage(err), tc.msg) {
					t.Fatalf("got %v (%s), want %s containing %q", err, domain.ErrorCode(err), tc.code, tc.msg)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

type fakeAuditor struct {
	got []audit.Request
	rep *audit.Report
	err error
}

func (f *fakeAuditor) Run(ctx context.Context, req audit.Request) (*audit.Report, error) {
	f.got = append(f.got, req)
	return f.rep, f.err
}

func TestAuditRunAnswers(t *testing.T) {
	rows := make([]domain.Finding, functions.AuditAnswerRows+5)
	for _, tc := range []struct {
		name   string
		rep    *audit.Report
		status int
	}{
		{"complete", &audit.Report{RunID: "r1", Complete: true, Findings: rows}, http.StatusOK},
		{"continues later", &audit.Report{RunID: "r2", Complete: false}, http.StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &fakeAuditor{rep: tc.rep}
			fn := functions.AuditRun(a)
			res, err := fn(context.Background(), &funchost.Invocation{HTTP: &funchost.HTTPRequest{Method: "POST",
				Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"dryRun":true}`)}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Errorf("status %d, want %d", res.Status, tc.status)
			}
			var body audit.Report
			if err := json.Unmarshal(res.Body, &body); err != nil {
				t.Fatal(err)
			}
			if len(body.Findings) > functions.AuditAnswerRows {
				t.Errorf("answer lists %d findings, limit %d", len(body.Findings), functions.AuditAnswerRows)
			}
			if len(a.got) != 1 || !a.got[0].DryRun || a.got[0].IfDue {
				t.Errorf("job asked %+v", a.got)
			}
		})
	}
}

func TestAuditTimer(t *testing.T) {
	a := &fakeAuditor{err: domain.Wrap(domain.ECONFLICT, domain.ErrBusy, "another audit is running")}
	res, err := functions.AuditTimer(a)(context.Background(), &funchost.Invocation{Timer: &funchost.TimerInfo{}})
	if err != nil || res != nil {
		t.Errorf("timer with a run in progress: %v, %v; want a quiet success", res, err)
	}
	if len(a.got) != 1 || !a.got[0].IfDue {
		t.Errorf("timer asked %+v, want IfDue", a.got)
	}
	// A conflict that is not another run (two apps match the finder, a write
	// precondition failed) is a failure the host must record, not silence.
	a = &fakeAuditor{err: domain.Errorf(domain.ECONFLICT, "2 applications match APP_DISPLAY_NAME")}
	if _, err := functions.AuditTimer(a)(context.Background(), &funchost.Invocation{Timer: &funchost.TimerInfo{}}); !domain.IsCode(err, domain.ECONFLICT) {
		t.Errorf("timer with an ambiguous app: %v, want the error so the host records a failure", err)
	}
	a = &fakeAuditor{err: domain.Errorf(domain.EUNAVAILABLE, "graph down")}
	if _, err := functions.AuditTimer(a)(context.Background(), &funchost.Invocation{Timer: &funchost.TimerInfo{}}); !domain.IsCode(err, domain.EUNAVAILABLE) {
		t.Errorf("timer with Graph down: %v, want the error so the host records a failure", err)
	}
}
