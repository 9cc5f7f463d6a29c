package inspect_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/containers"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/builtin"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/ociconfig"
	"github.com/syscage/syscage/seccomp"
)

// addedNames returns the system calls syscage's tables have and
// libseccomp 2.5.4's lack, as "ARCH NAME" (the list runc's libseccomp on
// Debian 12 is checked against, embedded in containers).
func addedNames(t *testing.T) map[string]bool {
	t.Helper()
	lacks, err := containers.Libseccomp("2.5.4")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for a, names := range lacks {
		for n := range names {
			out[a.String()+" "+n] = true
		}
	}
	return out
}

// TestDumpRuncContainer runs a container with runc under docker-default
// (resolved for this host as Docker would, written into config.json),
// reads its filter from the host, and compares it with the profile as
// syscage compiles it. runc builds its filter with its own libseccomp, so
// the two may differ exactly where that libseccomp's tables are older:
// every difference must be a system call that libseccomp 2.5.4 (Debian
// 12's, which runc links here) lacks. Against a copy of the profile
// without uname, uname on every covered ABI differs in addition.
func TestDumpRuncContainer(t *testing.T) {
	skipUnlessDump(t)
	runc := testenv.Tool(t, "runc", "runc")
	busybox := testenv.Tool(t, "busybox", "busybox-static")
	host, _ := arch.Native()
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := builtin.Get("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	p, err := raw.Resolve(profile.Env{Arch: host, Caps: oci.DefaultCaps, Kernel: strings.TrimSpace(string(b))})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "rootfs", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rootfs", "bin", "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := exec.Command(runc, "spec")
	spec.Dir = dir
	if out, err := spec.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	var cfg map[string]any
	cb, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cb, &cfg); err != nil {
		t.Fatal(err)
	}
	proc := cfg["process"].(map[string]any)
	proc["args"] = []string{"/bin/busybox", "sleep", "120"}
	proc["terminal"] = false
	if cb, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if cb, err = ociconfig.Patch("config.json", cb, p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cb, 0o644); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("syscage-inspect-%d", os.Getpid())
	// The container inherits runc's stdio: a file, not a pipe that
	// would keep CombinedOutput waiting for the container to end.
	logf, err := os.Create(filepath.Join(dir, "runc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	run := exec.Command(runc, "run", "--detach", "--bundle", dir, id)
	run.Stdout, run.Stderr = logf, logf
	if err := run.Run(); err != nil {
		log, _ := os.ReadFile(logf.Name())
		t.Fatalf("runc run: %v\n%s", err, log)
	}
	t.Cleanup(func() { exec.Command(runc, "delete", "--force", id).Run() })
	out, err := exec.Command(runc, "state", id).Output()
	if err != nil {
		t.Fatalf("runc state: %v", err)
	}
	var state struct{ Pid int }
	if err := json.Unmarshal(out, &state); err != nil || state.Pid == 0 {
		t.Fatalf("runc state %s: %v", out, err)
	}

	fs, err := inspect.Dump(state.Pid, inspect.DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("%d filters in the container, want 1", len(fs))
	}
	live := inspect.StackOf(fs)
	added := addedNames(t)
	ds, st, err := inspect.Compare(live, compile(t, p, host, seccomp.Options{}), inspect.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("runc's filter: %d instructions; %d differences over %+v", len(fs[0].Program), len(ds), st)
	base := map[string]bool{}
	for _, name := range diffNames(ds) {
		base[name] = true
		if !added[name] {
			t.Errorf("%s differs between runc's filter and syscage's, and libseccomp 2.5.4 knows it", name)
		}
	}

	q := p.Clone()
	for i, r := range q.Rules {
		for j, n := range r.Names {
			if n == "uname" {
				q.Rules[i].Names = append(append([]string(nil), r.Names[:j]...), r.Names[j+1:]...)
			}
		}
	}
	ds2, _, err := inspect.Compare(live, compile(t, q, host, seccomp.Options{}), inspect.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, name := range diffNames(ds2) {
		if !base[name] {
			extra = append(extra, name)
		}
	}
	want := []string{}
	for _, a := range []arch.Arch{arch.X86, arch.X86_64, arch.X32, arch.ARM, arch.AARCH64} {
		if (a == host || containsArch(p.Arches, a)) && hasSyscall(a, "uname") {
			want = append(want, a.String()+" uname")
		}
	}
	if strings.Join(extra, ",") != strings.Join(want, ",") {
		t.Errorf("against docker-default without uname, the new differences are %v, want %v", extra, want)
	}
}

func containsArch(as []arch.Arch, a arch.Arch) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func hasSyscall(a arch.Arch, name string) bool {
	_, ok := a.SyscallNumber(name)
	return ok
}
