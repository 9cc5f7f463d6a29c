package ociconfig_test

import (
	"context"
	"encoding/json"
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

// initComm is the task name of runc's init until it executes the
// container's program.
const initComm = "runc:[2:INIT]"

// learnRunc records what runc's init does between loading the
// container's filter and executing the container's process: it runs
// busybox true in a container whose profile logs every call
// (SCMP_ACT_LOG), reads the kernel's seccomp records from the audit
// netlink group, and keeps those of the init process (by pid, told by
// runc state) made under its name, before the program's execve changed
// it. It returns the calls in the order first made, and how many times.
func learnRunc(t *testing.T, runc, busybox string, noNewPrivs bool) (order []string, count map[string]int) {
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
			t.Fatalf("runc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	defer exec.Command(runc, "--root", state, "delete", "--force", id).Run()
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
	// The records of the program's exit come after those of init; wait
	// for the program's exit_group, then stop.
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
			if e.Comm != initComm {
				if e.Name() == "exit_group" {
					done = true
				}
				continue
			}
			if count[e.Name()] == 0 {
				order = append(order, e.Name())
			}
			count[e.Name()]++
		case <-timeout:
			t.Fatal("no exit_group record of the container's program")
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
	testenv.Root(t, "a runc container")
	runc := testenv.Tool(t, "runc", "runc")
	busybox := testenv.Tool(t, "/bin/busybox", "busybox-static")
	out, err := exec.Command(runc, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	version, commit := ociconfig.ParseVersion(out)
	rt, exact, err := ociconfig.LookupRuntime("runc", version, commit)
	if err != nil {
		t.Fatal(err)
	}
	for _, nnp := range []bool{true, false} {
		order, count := learnRunc(t, runc, busybox, nnp)
		for _, n := range order {
			t.Logf("noNewPrivileges %v: %s (%d times)", nnp, n, count[n])
		}
		if !exact {
			t.Errorf("no data for runc %s (commit %s): add profile/ociconfig/runtimes/runc-%s.txt from the calls above", version, commit, commit)
			continue
		}
		data := map[string]ociconfig.Need{}
		for _, n := range rt.For(nnp) {
			data[n.Name] = n
		}
		for _, n := range order {
			if _, ok := data[n]; !ok {
				t.Errorf("%s: noNewPrivileges %v: runc makes %s, which the data lacks", rt.File, nnp, n)
			}
		}
		for _, n := range rt.For(nnp) {
			if n.When != ociconfig.GoRuntime && count[n.Name] == 0 {
				t.Errorf("%s: noNewPrivileges %v: runc did not make %s (%s)", rt.File, nnp, n.Name, n.Reason)
			}
		}
	}
}
