package auditlog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/record/auditlog"
)

// complainEvent is the LOG record of a call the kernel wrote under
// launch.Complain's filter.
func complainEvent(a arch.Arch, name string) audit.Event {
	nr, _ := a.SyscallNumber(name)
	return audit.Event{Arch: a, AuditArch: a.Audit(), Nr: nr, Syscall: name, Code: 0x7ffc0000}
}

// TestComplain reads the records of a complain-mode run: the profile's
// denials, what only the launcher's additions denied, other ABIs, and a
// patch that, applied, lets the denied calls run.
func TestComplain(t *testing.T) {
	text := `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{
			"names": ["read", "ioctl"],
			"action": "SCMP_ACT_ALLOW"
		}
	]
}
`
	p, err := oci.Parse("p.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	// What the launcher ran: the file's rules without ioctl (as
	// hardening denies some of its requests).
	ran := p.Clone()
	ran.Rules[0].Names = []string{"read"}
	events := []audit.Event{complainEvent(arch.X86_64, "uname"), complainEvent(arch.X86_64, "ioctl"), complainEvent(arch.AARCH64, "read")}
	c, err := auditlog.Complain(auditlog.ComplainOptions{Name: "p.json", Data: []byte(text), Profile: p, Ran: ran, Added: []string{"a deny of ioctl"},
		Host: arch.X86_64, Events: events, Limited: true, Comment: "added"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"what syscage adds to p.json (a deny of ioctl) would have denied 1 system call(s) its rules allow: ioctl; no patch of the profile allows them",
		`the program made system calls of ABIs the profile does not cover: aarch64 (add them to "architectures")`,
		"the profile would have denied 1 system call(s): uname",
		"the kernel log is rate-limited (no CAP_AUDIT_READ for the audit netlink group); apply the patch and run again until nothing is left",
		"added x86_64 uname",
	}
	if got := c.Lines(); !slices.Equal(got, want) {
		t.Errorf("lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Patch == nil || c.Patch.Diff == nil {
		t.Fatalf("no patch: %+v", c.Patch)
	}
	after, err := oci.Parse("patched", []byte(apply(t, text, c.Patch.Diff)))
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := arch.X86_64.SyscallNumber("uname")
	if v, err := profile.Evaluate(after, arch.X86_64, profile.Data{Nr: nr, Arch: arch.X86_64.Audit()}); err != nil || !v.Permits() {
		t.Errorf("the patched profile denies uname: %v %v", v, err)
	}
}

// TestComplainBuiltin: a built-in has no file to patch; the additions
// are those a copy of it would need. A run without denials says so.
func TestComplainBuiltin(t *testing.T) {
	p := &profile.Profile{Default: profile.Action{Kind: profile.ActErrno, Data: 1}, Rules: []profile.Rule{{Names: []string{"read"}, Action: profile.Action{Kind: profile.ActAllow}}}}
	o := auditlog.ComplainOptions{Name: "strict", Profile: p, Ran: p, Host: arch.X86_64, Events: []audit.Event{complainEvent(arch.X86_64, "getpid")}}
	c, err := auditlog.Complain(o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"the profile would have denied 1 system call(s): getpid", "strict is a built-in profile; in a copy of it:", "added x86_64 getpid"}
	if got := c.Lines(); !slices.Equal(got, want) || c.Patch != nil {
		t.Errorf("lines %q (patch %v), want %q", got, c.Patch, want)
	}
	o.Events = []audit.Event{complainEvent(arch.X86_64, "read")}
	if c, err = auditlog.Complain(o); err != nil {
		t.Fatal(err)
	}
	if got := c.Lines(); !slices.Equal(got, []string{"the profile would have denied nothing the kernel logged"}) {
		t.Errorf("lines %q", got)
	}
}
