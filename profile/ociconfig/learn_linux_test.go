package ociconfig_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/ociconfig"
)

// learnRuntime records what an OCI runtime's init (runc's, crun's) does
// between loading the container's filter and executing the container's
// process: it runs busybox true in a container whose profile logs every
// call (SCMP_ACT_LOG), reads the kernel's seccomp records from the audit
// netlink group, and keeps those of the init process (by pid, told by
// the runtime's state command) up to its first execve, the program's.
// It returns the calls in the order first made, and how many times.
func learnRuntime(t *testing.T, runc, busybox string, noNewPrivs bool) (order []string, count map[string]int) {
	t.Helper()
	host, _ := arch.Native()
	fl, err := audit.Follow(audit.FollowOptions{Source: audit.SourceNetlink})
	if err != nil {
		t.Skipf("the audit netlink group: %v", err)
	}
	events := make(chan audit.Event, 1<<16)
	go func() {
		defer close(events)
		for {
			e, err := fl.Next()
			if err != nil {
				if strings.Contains(err.Error(), "closed") {
					return
				}
				continue
			}
			events <- e
		}
	}()
	logAll := &profile.Profile{Default: profile.Action{Kind: profile.ActLog}, Arches: []arch.Arch{host}}
	dir, bundle := makeBundle(t, busybox, logAll, noNewPrivs, "/bin/busybox", "true")
	containers++
	id := fmt.Sprintf("syscage-learn-%d-%d", os.Getpid(), containers)
	t.Cleanup(func() { _ = exec.Command(runc, "--root", filepath.Join(dir, "state"), "delete", "--force", id).Run() })
	state := filepath.Join(dir, "state")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	do := func(args ...string) string {
		cmd := exec.CommandContext(ctx, runc, append([]string{"--root", state}, args...)...)
		var out []byte
		var err error
		if args[0] == "create" {
			// The container's standard files are create's: files, not
			// pipes that would stay open while it runs.
			log, lerr := os.Create(filepath.Join(dir, "create.log"))
			if lerr != nil {
				t.Fatal(lerr)
			}
			defer log.Close()
			cmd.Stdout, cmd.Stderr = log, log
			err = cmd.Run()
		} else {
			out, err = cmd.CombinedOutput()
		}
		if err != nil {
			if log, _ := os.ReadFile(filepath.Join(dir, "create.log")); strings.Contains(string(log), "cgroups in hybrid mode not supported") {
				// crun 1.8 on a host with cgroup v1 and v2 mounted.
				t.Skipf("%s cannot run containers here: %s", runc, log)
			}
			t.Fatalf("%s %s: %v\n%s", runc, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	do("create", "--bundle", bundle, id)
	var st struct{ Pid int }
	if err := json.Unmarshal([]byte(do("state", id)), &st); err != nil || st.Pid == 0 {
		t.Fatalf("runc state: %v", err)
	}
	do("start", id)
	for {
		var s struct{ Status string }
		out, err := exec.CommandContext(ctx, runc, "--root", state, "state", id).Output()
		if err != nil || json.Unmarshal(out, &s) != nil || s.Status == "stopped" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	count = map[string]int{}
	timeout := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("the audit netlink group closed")
			}
			if e.PID != st.Pid {
				continue
			}
			if count[e.Name()] == 0 {
				order = append(order, e.Name())
			}
			count[e.Name()]++
			done = e.Name() == "execve"
		case <-timeout:
			t.Fatal("no execve record of the container's init")
		}
	}
	fl.Close()
	if n := fl.Lost(); n > 0 {
		t.Fatalf("%d audit records lost", n)
	}
	return order, count
}

// makeBundle writes a bundle with a busybox rootfs in a new directory
// (its state directory beside it): runc's default config.json with args
// as the process, noNewPrivileges as given, a writable root, and p as
// its profile.
func makeBundle(t *testing.T, busybox string, p *profile.Profile, noNewPrivs bool, args ...string) (dir, bundle string) {
	t.Helper()
	dir = t.TempDir()
	bundle = filepath.Join(dir, "bundle")
	rootfs := filepath.Join(bundle, "rootfs")
	for _, d := range []string{filepath.Join(rootfs, "bin"), filepath.Join(rootfs, "tmp"), filepath.Join(rootfs, "etc"), filepath.Join(dir, "state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin", "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "etc", "hostname-test"), []byte("written before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("runc", "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	cfgPath := filepath.Join(bundle, "config.json")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The process and a writable root, through plain JSON so that the
	// patch below is what puts the profile in.
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatal(err)
	}
	proc := m["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = args
	proc["noNewPrivileges"] = noNewPrivs
	m["root"].(map[string]any)["readonly"] = false
	if cfg, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	patched, err := ociconfig.Patch("config.json", cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, patched, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, bundle
}

// TestRuntimeNeeds re-learns what the installed runc's init makes after
// loading the filter, with and without noNewPrivileges, and compares it
// with the data kept for its version: each call learned must be in the
// data, and each call the data says runc always makes must have been
// learned. It fails when the data is missing or stale; the log lists
// what was learned, to write the data file from.
func TestRuntimeNeeds(t *testing.T) {
	for _, name := range []string{"runc", "crun"} {
		t.Run(name, func(t *testing.T) { testRuntimeNeeds(t, name) })
	}
}

func testRuntimeNeeds(t *testing.T, name string) {
	testenv.Root(t, "a "+name+" container")
	runc := testenv.Tool(t, name, name)
	busybox := testenv.Tool(t, "/bin/busybox", "busybox-static")
	out, err := exec.Command(runc, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	version, commit := ociconfig.ParseVersion(out)
	rt, exact, err := ociconfig.LookupRuntime(name, version, commit)
	if err != nil && !errors.Is(err, ociconfig.ErrNoRuntime) {
		t.Fatal(err)
	}
	for _, nnp := range []bool{true, false} {
		order, count := learnRuntime(t, runc, busybox, nnp)
		for _, n := range order {
			t.Logf("noNewPrivileges %v: %s (%d times)", nnp, n, count[n])
		}
		if !exact {
			t.Errorf("no data for %s %s (commit %s): add profile/ociconfig/runtimes/%s-%s.txt from the calls above", name, version, commit, name, version)
			continue
		}
		data := map[string]ociconfig.Need{}
		for _, n := range rt.For(nnp) {
			data[n.Name] = n
		}
		for _, n := range order {
			if _, ok := data[n]; !ok {
				t.Errorf("%s: noNewPrivileges %v: %s makes %s, which the data lacks", rt.File, nnp, name, n)
			}
		}
		for _, n := range rt.For(nnp) {
			if n.When != ociconfig.GoRuntime && count[n.Name] == 0 {
				t.Errorf("%s: noNewPrivileges %v: %s did not make %s (%s)", rt.File, nnp, name, n.Name, n.Reason)
			}
		}
	}
}
