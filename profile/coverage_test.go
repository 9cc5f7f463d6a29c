package profile

import (
	"encoding/json"
	"testing"

	"github.com/syscage/syscage/arch"
)

// TestCoversAll checks one profile against two others: each gap names
// the profile that has it, Text lists them, and the JSON pins the format
// of 'merge --check --json' (arguments only where they matter).
func TestCoversAll(t *testing.T) {
	eperm := Action{Kind: ActErrno, Data: EPERM}
	a := &Profile{Default: eperm, Rules: []Rule{allowRule("read")}}
	b := &Profile{Default: eperm, Rules: []Rule{allowRule("read", "write")}}
	c := &Profile{Default: eperm, Rules: []Rule{{Names: []string{"socket"}, Action: Action{Kind: ActAllow}, Conds: []Cond{{Arg: 0, Op: OpEQ, Value: 2}}}}}
	cov, err := CoversAll(arch.X86_64, []string{"a", "b", "c"}, a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if cov.Covers || len(cov.Missing) != 2 || cov.Missing[0].From != "b" || cov.Missing[1].From != "c" {
		t.Fatalf("CoversAll = %+v, want write from b and socket from c", cov)
	}
	wantText := "b allows x86_64 write is ERRNO(1) in a\nc allows x86_64 socket with arguments [0x2 0x0 0x0 0x0 0x0 0x0] is ERRNO(1) in a\n"
	if got := cov.Text(); got != wantText {
		t.Errorf("Text =\n%s\nwant\n%s", got, wantText)
	}
	j, err := json.Marshal(cov)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"profile":"a","covers":false,"missing":[{"from":"b","arch":"x86_64","name":"write","nr":1,"action":"ERRNO(1)"},{"from":"c","arch":"x86_64","name":"socket","nr":41,"args":[2,0,0,0,0,0],"action":"ERRNO(1)"}]}`
	if string(j) != wantJSON {
		t.Errorf("JSON =\n%s\nwant\n%s", j, wantJSON)
	}
	cov, err = CoversAll(arch.X86_64, []string{"b", "a"}, b, a)
	if err != nil || !cov.Covers || cov.Text() != "" {
		t.Errorf("CoversAll(b, a) = %+v, %v; want covered", cov, err)
	}
	if j, _ := json.Marshal(cov); string(j) != `{"profile":"b","covers":true,"missing":[]}` {
		t.Errorf("covered JSON = %s", j)
	}
}
