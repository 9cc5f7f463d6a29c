package oci

import (
	"reflect"
	"testing"

	"github.com/syscage/syscage/profile"
)

// TestEdit: an edit changes only what it names; the rest of the text is
// kept byte for byte, and the result parses to the edit applied to the
// model.
func TestEdit(t *testing.T) {
	const in = `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{"names": ["read", "uname", "write"], "action": "SCMP_ACT_ALLOW"},
		{
			"names": [
				"ptrace",
				"mount"
			],
			"action": "SCMP_ACT_KILL_PROCESS"
		},
		{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
	]
}
`
	allowSock := profile.Rule{Names: []string{"socket"}, Action: profile.Action{Kind: profile.ActAllow}, Comment: "added"}
	for _, tc := range []struct {
		name string
		e    profile.Edit
		want string
	}{
		{"middle name", profile.Edit{Remove: []profile.Removal{{Rule: 0, Name: "uname"}}}, `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
		{
			"names": [
				"ptrace",
				"mount"
			],
			"action": "SCMP_ACT_KILL_PROCESS"
		},
		{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
	]
}
`},
		{"last name of a multi-line array", profile.Edit{Remove: []profile.Removal{{Rule: 1, Name: "mount"}}}, `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{"names": ["read", "uname", "write"], "action": "SCMP_ACT_ALLOW"},
		{
			"names": [
				"ptrace"
			],
			"action": "SCMP_ACT_KILL_PROCESS"
		},
		{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
	]
}
`},
		{"a rule's only name, and a rule appended", profile.Edit{Remove: []profile.Removal{{Rule: 2, Name: "uname"}}, Append: []profile.Rule{allowSock}}, `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{"names": ["read", "uname", "write"], "action": "SCMP_ACT_ALLOW"},
		{
			"names": [
				"ptrace",
				"mount"
			],
			"action": "SCMP_ACT_KILL_PROCESS"
		},
		{"names":["socket"],"action":"SCMP_ACT_ALLOW","comment":"added"}
	]
}
`},
		{"first rule and every name of the second", profile.Edit{Remove: []profile.Removal{{Rule: 0, Name: "read"}, {Rule: 1, Name: "ptrace"}, {Rule: 1, Name: "mount"}}}, `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{"names": ["uname", "write"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
	]
}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Edit([]byte(in), tc.e)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", out, tc.want)
			}
			p, err := Parse("in", []byte(in))
			if err != nil {
				t.Fatal(err)
			}
			want, err := tc.e.Apply(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse("out", out)
			if err != nil {
				t.Fatalf("edited text does not parse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(Edit(text)) = %+v, want Apply = %+v", got.Rules, want.Rules)
			}
		})
	}
	// Every rule emptied, then one added; a profile without syscalls.
	out, err := Edit([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_LOG"}]}`),
		profile.Edit{Remove: []profile.Removal{{Rule: 0, Name: "a"}}, Append: []profile.Rule{allowSock}})
	if err != nil || string(out) != `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names":["socket"],"action":"SCMP_ACT_ALLOW","comment":"added"}]}` {
		t.Errorf("emptied: %v\n%s", err, out)
	}
	out, err = Edit([]byte(`{"defaultAction": "SCMP_ACT_ERRNO"}`), profile.Edit{Append: []profile.Rule{allowSock}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("out", out); err != nil {
		t.Errorf("no syscalls: %v\n%s", err, out)
	}
	if _, err := Edit([]byte(in), profile.Edit{Remove: []profile.Removal{{Rule: 0, Name: "ptrace"}}}); err == nil {
		t.Error("removing a name a rule does not have: no error")
	}
}
