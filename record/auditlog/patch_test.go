package auditlog_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/auditlog"
)

// apply applies a one-hunk unified diff to a.
func apply(t *testing.T, a string, diff []byte) string {
	t.Helper()
	s, err := applyDiff(a, diff)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// applyDiff applies a one-hunk unified diff to a.
func applyDiff(a string, diff []byte) (string, error) {
	ls := strings.SplitAfter(string(diff), "\n")
	if len(ls) < 3 || !strings.HasPrefix(ls[0], "--- ") || !strings.HasPrefix(ls[1], "+++ ") || !strings.HasPrefix(ls[2], "@@ -") {
		return "", fmt.Errorf("not a unified diff:\n%s", diff)
	}
	start, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(ls[2], "@@ -"), ",")[0])
	al := strings.SplitAfter(a, "\n")
	out := strings.Join(al[:start-1], "")
	i := start - 1
	for _, l := range ls[3:] {
		switch {
		case l == "":
		case strings.HasPrefix(l, " "):
			out += l[1:]
			i++
		case strings.HasPrefix(l, "-"):
			i++
		case strings.HasPrefix(l, "+"):
			out += l[1:]
		default:
			return "", fmt.Errorf("line %q in the hunk", l)
		}
	}
	return out + strings.Join(al[i:], ""), nil
}

func recording(names ...string) *record.Recording {
	rec := record.New(arch.X86_64)
	for _, n := range names {
		nr, _ := arch.X86_64.SyscallNumber(n)
		rec.Add(arch.X86_64, nr, nil, false)
	}
	return rec
}

func TestMakePatch(t *testing.T) {
	text := `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{
			"names": ["read", "uname"],
			"action": "SCMP_ACT_ERRNO",
			"errnoRet": 1
		},
		{
			"names": ["write"],
			"action": "SCMP_ACT_ALLOW"
		}
	]
}
`
	p, err := oci.Parse("p.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := auditlog.MakePatch("p.json", []byte(text), p, arch.X86_64, recording("uname", "getpid"), "added")
	if err != nil {
		t.Fatal(err)
	}
	if pt.Diff == nil || pt.NotPlain != nil {
		t.Fatalf("no patch: %v %s", pt.NotPlain, pt.Why)
	}
	after, err := oci.Parse("patched", []byte(apply(t, text, pt.Diff)))
	if err != nil {
		t.Fatalf("%v\n%s", err, pt.Diff)
	}
	for name, want := range map[string]bool{"uname": true, "getpid": true, "read": false, "write": true, "mount": false} {
		nr, _ := arch.X86_64.SyscallNumber(name)
		v, err := profile.Evaluate(after, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit()})
		if err != nil || v.Permits() != want {
			t.Errorf("the patched profile: %s permitted %v (%v), want %v", name, v.Permits(), err, want)
		}
	}
	if len(pt.Adds) != 2 {
		t.Errorf("additions %+v", pt.Adds)
	}
}

func TestMakePatchNone(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		notPlain   string
		why        string
	}{
		{"conditional", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}`,
			"it has includes, excludes or an archMap", ""},
		{"not JSON", "[Service]\nSystemCallFilter=read\n", "p.json", ""},
		{"guarded", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`,
			"", "nothing can be added without overriding a rule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}}
			pt, err := auditlog.MakePatch("p.json", []byte(tc.text), p, arch.X86_64, recording("uname"), "added")
			if err != nil {
				t.Fatal(err)
			}
			if pt.Diff != nil {
				t.Fatalf("a patch:\n%s", pt.Diff)
			}
			if tc.notPlain != "" && (pt.NotPlain == nil || !strings.Contains(pt.NotPlain.Error(), tc.notPlain)) {
				t.Errorf("not plain: %v, want %q", pt.NotPlain, tc.notPlain)
			}
			if !strings.Contains(pt.Why, tc.why) || tc.why == "" && pt.Why != "" {
				t.Errorf("why %q, want %q", pt.Why, tc.why)
			}
			if len(pt.Adds) != 1 {
				t.Errorf("additions %+v, want the one for uname", pt.Adds)
			}
		})
	}
}
