package containers

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/profile/ociconfig"
	"github.com/syscage/syscage/seccomp"
)

// Filters are never installed in the test process: the init helper runs
// in a re-executed copy of the test binary, in a PID namespace of its
// own as a container's init is, loads the seccomp section of the
// config.json given as its argument as crun does (libseccomp's filter,
// no ENOSYS stub) and waits on stdin.
func init() { testenv.Program("crun-init", crunInit) }

func TestMain(m *testing.M) { testenv.Main(m) }

func crunInit() {
	host, _ := arch.Native()
	b, err := os.ReadFile(os.Args[1])
	if err == nil {
		var p *profile.Profile
		if p, err = oci.Parse(os.Args[1], b); err == nil {
			var f *seccomp.Filter
			if f, err = seccomp.Compile(p, host, seccomp.Options{NoENOSYS: true}); err == nil {
				_, err = seccomp.Install(f, seccomp.InstallOptions{})
			}
		}
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

// TestCheckRuntime checks one process, holding the filter crun would
// load for its config.json, as a container of crun and as one of runc:
// it matches as crun's, and as runc's it differs exactly where runc's
// ENOSYS stub would answer (the numbers above the profile's largest).
func TestCheckRuntime(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading filters and PID namespaces need root")
	}
	host, ok := arch.Native()
	if !ok {
		t.Skip("unknown native architecture")
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := ociconfig.Patch("config.json", []byte("{\n \"ociVersion\": \"1.0.2\",\n \"linux\": {}\n}\n"), proftest.DockerDefault(host))
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(bundle, "config.json")
	if err := os.WriteFile(config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := testenv.Command("crun-init", config)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	stdin, stdout := testenv.Start(t, cmd)
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper: %q", line)
	}
	pid := cmd.Process.Pid
	start, err := startTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Container{
		{ID: "c", Runtime: "crun", Bundle: bundle, Pid: pid, Start: start},
		{ID: "r", Runtime: "runc", Bundle: bundle, Pid: pid, Start: start},
	} {
		r := Check(c, Options{Host: host})
		if len(r.Processes) != 1 || r.Processes[0] != pid || len(r.Groups) != 1 || len(r.Groups[0].Filters) != 1 {
			t.Fatalf("%s: processes %v, groups %+v; want pid %d with one filter", c.Runtime, r.Processes, r.Groups, pid)
		}
		ds := r.Groups[0].Differences
		switch c.Runtime {
		case "crun":
			if r.Status != Match || r.Finding {
				t.Errorf("as crun's: %s (%s), %d differences; want a match", r.Status, r.Error, len(ds))
			}
		case "runc":
			if r.Status != Differs || !r.Finding || len(ds) == 0 {
				t.Fatalf("as runc's: %s (%s); want differs", r.Status, r.Error)
			}
			for _, d := range ds {
				ceiling, _ := seccomp.ENOSYSCeiling(proftest.DockerDefault(host), d.Arch)
				nr := d.Nr &^ arch.X32SyscallBit
				if d.Arch == arch.Invalid || d.Nr <= ceiling || d.Examples[0].B&0xffff != 38 {
					t.Errorf("as runc's: %s %s(%d): live %#x, config %#x; want only numbers above %d, ENOSYS in the reference", d.Arch, d.Syscall, nr, d.Examples[0].A, d.Examples[0].B, ceiling)
				}
			}
		}
	}
}
