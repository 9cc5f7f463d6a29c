package session_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/syscage/syscage/record"
	"github.com/syscage/syscage/record/session"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    session.Options
		err  string
	}{
		{"a command", session.Options{Argv: []string{"ls"}, Train: [][]string{{"ls", "/"}}}, ""},
		{"a pid", session.Options{PID: 1}, ""},
		{"a cgroup", session.Options{Cgroup: "/sys/fs/cgroup/x"}, ""},
		{"a bundle", session.Options{Bundle: "b"}, ""},
		{"nothing", session.Options{}, "no command to record"},
		{"pid and cgroup", session.Options{PID: 1, Cgroup: "x"}, "--pid and --cgroup exclude each other"},
		{"pid and a command", session.Options{PID: 1, Argv: []string{"true"}}, `--pid and --cgroup record what runs already; drop "true"`},
		{"cgroup and train", session.Options{Cgroup: "x", Train: [][]string{{"ls"}}}, "--train starts workloads of CMD"},
		{"bundle and pid", session.Options{Bundle: "b", PID: 1}, "--bundle records the bundle's container: no CMD, --pid, --cgroup or --train"},
		{"bundle and a command", session.Options{Bundle: "b", Argv: []string{"sh"}}, "--bundle records the bundle's container"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Check()
			var oe *record.OptionError
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.err != "" && (!errors.As(err, &oe) || !strings.HasPrefix(err.Error(), tc.err)):
				t.Errorf("error %v, want an OptionError %q", err, tc.err)
			}
		})
	}
}

func TestName(t *testing.T) {
	for _, tc := range []struct {
		o          session.Options
		name, file string
	}{
		{session.Options{Argv: []string{"/usr/bin/curl", "-s", "https://user:secret@example.org"}}, "/usr/bin/curl", "curl.seccomp.json"},
		{session.Options{Argv: []string{"/"}}, "/", "program.seccomp.json"},
		{session.Options{PID: 42}, "pid-42", "pid-42.seccomp.json"},
		{session.Options{Cgroup: "/sys/fs/cgroup/system.slice/app.service/"}, "cgroup-app.service", "cgroup-app.service.seccomp.json"},
		{session.Options{Bundle: "/srv/bundles/web/"}, "container-web", "container-web.seccomp.json"},
	} {
		if got := tc.o.Name(); got != tc.name {
			t.Errorf("%+v: Name %q, want %q", tc.o, got, tc.name)
		}
		if got := tc.o.DefaultOutput(".json"); got != tc.file {
			t.Errorf("%+v: DefaultOutput %q, want %q", tc.o, got, tc.file)
		}
	}
}
