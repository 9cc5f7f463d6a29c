package ociconfig_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/lxc"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/ociconfig"
)

// The profile the containers run under: an LXC denylist that refuses
// mkdir with EDQUOT (122, "Disk quota exceeded", which nothing else
// returns here), converted by syscage.
const denyMkdir = `2
denylist
mkdir errno 122
mkdirat errno 122
`

// TestRunc runs busybox in a real runc container whose config.json
// syscage patched with the converted LXC profile: mkdir fails with the
// configured errno inside the container, and writing and reading a file
// works. The same container without the rule creates the directory.
func TestRunc(t *testing.T) {
	testenv.Root(t, "a runc container")
	runc := testenv.Tool(t, "runc", "runc")
	busybox := testenv.Tool(t, "/bin/busybox", "busybox-static")
	host, ok := arch.Native()
	if !ok {
		t.Fatal("unknown native ABI")
	}

	p, err := lxc.Parse("deny-mkdir.seccomp", []byte(denyMkdir))
	if err != nil {
		t.Fatal(err)
	}
	p, err = p.Resolve(profile.Env{Arch: host})
	if err != nil {
		t.Fatal(err)
	}
	allowAll := &profile.Profile{Default: profile.Action{Kind: profile.ActAllow}, Arches: p.Arches,
		Rules: []profile.Rule{{Names: []string{"kexec_load"}, Action: profile.Action{Kind: profile.ActErrno, Data: 1}}}}

	script := `/bin/busybox mkdir /tmp/d; echo "mkdir=$?"; echo hello > /tmp/f && /bin/busybox cat /tmp/f && echo "write=ok"`
	out := runContainer(t, runc, busybox, p, script)
	t.Logf("with the profile:\n%s", out)
	for _, want := range []string{"mkdir: can't create directory '/tmp/d': Disk quota exceeded", "mkdir=1", "hello", "write=ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("with the profile, the output lacks %q:\n%s", want, out)
		}
	}
	out = runContainer(t, runc, busybox, allowAll, script)
	for _, want := range []string{"mkdir=0", "hello", "write=ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("without the mkdir rule, the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Disk quota exceeded") {
		t.Errorf("without the mkdir rule, mkdir still fails:\n%s", out)
	}
}

// TestRuncStrict runs busybox under the built-in strict starter: its
// shell starts, echoes and writes a file, and mkdir, which the starter
// does not allow, fails with EPERM.
func TestRuncStrict(t *testing.T) {
	testenv.Root(t, "a runc container")
	runc := testenv.Tool(t, "runc", "runc")
	busybox := testenv.Tool(t, "/bin/busybox", "busybox-static")
	p, err := builtin.Get("strict")
	if err != nil {
		t.Fatal(err)
	}
	// runc (1.1) opens its exec fifo with O_WRONLY|O_CLOEXEC after it has
	// installed the filter; strict leaves that out on purpose (it would let
	// the program open any existing file for writing), so a runc user adds
	// it, exactly.
	p.Rules = append(p.Rules, profile.Rule{Names: []string{"openat"}, Action: profile.Action{Kind: profile.ActAllow},
		Conds:   []profile.Cond{{Arg: 2, Op: profile.OpMaskedEQ, Value: 0xffffffff, ValueTwo: 0x80001}},
		Comment: "runc's exec fifo"})
	// The starter allows no new processes, so each command is the
	// container's process itself.
	out, err := runArgs(t, runc, busybox, p, "/bin/busybox", "mkdir", "/tmp/d")
	if err == nil || !strings.Contains(out, "mkdir: can't create directory '/tmp/d': Operation not permitted") {
		t.Errorf("mkdir under strict: %v\n%s", err, out)
	}
	out, err = runArgs(t, runc, busybox, p, "/bin/busybox", "cat", "/etc/hostname-test")
	if err != nil || out != "written before\n" {
		t.Errorf("cat under strict: %v\n%q", err, out)
	}
	out, err = runArgs(t, runc, busybox, p, "/bin/busybox", "sh", "-c", "/bin/busybox true; echo done")
	if err == nil || !strings.Contains(out, "can't fork: Operation not permitted") {
		t.Errorf("a shell forking under strict: %v\n%s", err, out)
	}
}

var containers int

// runContainer runs the shell script in a container under p and returns
// its output; the container must succeed.
func runContainer(t *testing.T, runc, busybox string, p *profile.Profile, script string) string {
	t.Helper()
	out, err := runArgs(t, runc, busybox, p, "/bin/busybox", "sh", "-c", script)
	if err != nil {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	return out
}

// runArgs makes a bundle with a busybox rootfs, writes runc's default
// config.json (noNewPrivileges) patched with p and args as the process,
// runs it with runc and returns its output and how it ended.
func runArgs(t *testing.T, runc, busybox string, p *profile.Profile, args ...string) (string, error) {
	t.Helper()
	return runBundle(t, runc, busybox, p, nil, true, args...)
}

func TestRuncRecordedProfile(t *testing.T) {
	testenv.Root(t, "a runc container")
	runc := testenv.Tool(t, "runc", "runc")
	busybox := testenv.Tool(t, "/bin/busybox", "busybox-static")
	data, err := os.ReadFile("testdata/busybox-ls.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := oci.Parse("busybox-ls.json", data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(runc, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	version, commit := ociconfig.ParseVersion(out)
	rt, _, err := ociconfig.LookupRuntime("runc", version, commit)
	if err != nil {
		t.Fatal(err)
	}
	for _, nnp := range []bool{true, false} {
		out, err := runBundle(t, runc, busybox, p, nil, nnp, "/bin/busybox", "ls", "/")
		// runc's init stops at the first call denied: fstatfs ("ensure
		// /proc/self/fd is on procfs: operation not permitted"), or the
		// Go runtime's futex when a wake-up comes first.
		if err == nil || !strings.Contains(out, "operation not permitted") && !strings.Contains(out, "futexwakeup") {
			t.Errorf("noNewPrivileges %v: without runc's needs, the container ran: %v\n%s", nnp, err, out)
		}
		out, err = runBundle(t, runc, busybox, p, rt, nnp, "/bin/busybox", "ls", "/")
		if err != nil || !strings.Contains(out, "bin\n") || !strings.Contains(out, "proc\n") {
			t.Errorf("noNewPrivileges %v: with runc's needs: %v\n%s", nnp, err, out)
		}
		out, err = runBundle(t, runc, busybox, p, rt, nnp, "/bin/busybox", "mkdir", "/tmp/d")
		if err == nil || !strings.Contains(out, "mkdir: can't create directory '/tmp/d': Operation not permitted") {
			t.Errorf("noNewPrivileges %v: mkdir, which the profile denies: %v\n%s", nnp, err, out)
		}
	}
}

// runBundle runs args in a container under p, with rt's needs added
// when rt is not nil, and returns its output and how it ended.
func runBundle(t *testing.T, runc, busybox string, p *profile.Profile, rt *ociconfig.Runtime, nnp bool, args ...string) (string, error) {
	t.Helper()
	dir, bundle := makeBundle(t, busybox, p, nnp, args...)
	if rt != nil {
		cfgPath := filepath.Join(bundle, "config.json")
		cfg, err := os.ReadFile(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		host, _ := arch.Native()
		out, added, err := ociconfig.PatchFor("config.json", cfg, p, rt, host)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("noNewPrivileges %v: added %v", nnp, added)
		if err := os.WriteFile(cfgPath, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	containers++
	id := fmt.Sprintf("syscage-test-%d-%d", os.Getpid(), containers)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, runc, "--root", filepath.Join(dir, "state"), "run", "--bundle", bundle, id)
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	err := cmd.Run()
	_ = exec.Command(runc, "--root", filepath.Join(dir, "state"), "delete", "--force", id).Run()
	return outb.String(), err
}
