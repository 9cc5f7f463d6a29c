package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/audit"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// TestComplainLoop is the complain-then-enforce loop: a profile that lacks
// two calls of a program (its thread's sysinfo and its fork child's
// times, taken out of the program's recording), LOG as the default
// (complain mode), a harvest of what the kernel logged into the profile,
// and the program then runs under the profile with KILL_PROCESS as the
// default. The kernel log is rate-limited and shared with other tests, so
// the test makes only three records: the kill without the harvest and the
// two logged calls.
func TestComplainLoop(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the enforcing helper's filters are for x86_64")
	}
	wl := buildC(t, "workload.c", "-pthread")
	res, err := Run(context.Background(), []string{wl}, helperOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	recorded := res.Recording.Profile(ProfileOptions{Default: profile.Action{Kind: profile.ActKillProcess}})
	narrow := recorded.Clone()
	for i := range narrow.Rules {
		narrow.Rules[i].Names = slices.DeleteFunc(narrow.Rules[i].Names, func(n string) bool { return n == "sysinfo" || n == "times" })
	}

	// Without the harvest, the program is killed.
	if err := enforceRun(t, narrow, wl); err == nil {
		t.Fatal("the workload ran under a profile without sysinfo and times")
	}

	// Complain mode: the same profile with LOG for everything else.
	// Harvest the records of the program's processes.
	f, err := audit.Follow(audit.FollowOptions{Source: audit.SourceNetlink})
	if err != nil {
		if os.Getuid() != 0 {
			t.Skipf("reading audit records needs root: %v", err)
		}
		t.Fatal(err)
	}
	complain := narrow.Clone()
	complain.Default = profile.Action{Kind: profile.ActLog}
	if err := enforceRun(t, complain, wl); err != nil {
		f.Close()
		t.Fatalf("under complain mode: %v", err)
	}
	harvest := New(arch.X86_64)
	timer := time.AfterFunc(3*time.Second, func() { f.Close() })
	defer timer.Stop()
	for {
		ev, err := f.Next()
		if errors.Is(err, os.ErrClosed) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.Comm == "workload" {
			harvest.Add(ev.Arch, ev.Nr, nil, false)
		}
	}
	if !harvest.Has(arch.X86_64, "sysinfo") || !harvest.Has(arch.X86_64, "times") {
		t.Fatalf("harvest %v lacks sysinfo or times", harvest.Calls())
	}
	fixed, adds, err := harvest.AddTo(narrow, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("harvested %d additions: %v", len(adds), adds)
	if err := enforceRun(t, fixed, wl); err != nil {
		t.Fatalf("under the harvested profile with KILL_PROCESS: %v", err)
	}
}

// enforceRun runs argv under p through the enforce workload.
func enforceRun(t *testing.T, p *profile.Profile, argv ...string) error {
	t.Helper()
	data, err := oci.Format(p)
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(pf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self(t), append([]string{pf}, argv...)...)
	cmd.Env = workloadEnviron("enforce")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if st := ee.Sys().(syscall.WaitStatus); st.Signaled() {
			return errors.New("killed by " + st.Signal().String() + ": " + string(out))
		}
	}
	if err != nil {
		return errors.New(err.Error() + ": " + string(out))
	}
	return nil
}

// TestRecordKnown records again with the profile of a first recording:
// the calls it allows run without a stop (they are not in the second
// recording), the new ones (an i386 child, when the kernel runs i386
// programs) are recorded, and the first profile with them added runs the
// program under KILL_PROCESS.
func TestRecordKnown(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the workload's i386 child needs an x86_64 machine")
	}
	wl := buildC(t, "workload.c", "-pthread")
	argv := workloadArgv(t, wl)
	res, err := Run(context.Background(), []string{wl}, helperOpts(t))
	if err != nil {
		t.Fatal(err)
	}
	first := res.Recording.Profile(ProfileOptions{Default: profile.Action{Kind: profile.ActKillProcess}})
	for _, stops := range []bool{false, true} {
		t.Run(fmt.Sprintf("stops=%v", stops), func(t *testing.T) { recordKnown(t, first, stops, argv) })
	}
}

func recordKnown(t *testing.T, first *profile.Profile, stops bool, argv []string) {
	o := helperOpts(t)
	o.Known = first
	o.Stops = stops
	res, err := Run(context.Background(), argv, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("second run: exit %d, signal %v", res.ExitCode, res.Signal)
	}
	second := res.Recording
	for _, n := range []string{"mmap", "sysinfo", "times", "getrusage"} {
		if second.Has(arch.X86_64, n) {
			t.Errorf("%s is in the known profile but stopped and was recorded again", n)
		}
	}
	t.Run("i386", func(t *testing.T) {
		testenv.NeedI386(t)
		if !second.Has(arch.X86, "getpgrp") || !second.Has(arch.X86, "socket") {
			t.Errorf("the i386 child's calls were not recorded: %v", second.Calls())
		}
	})
	both, _, err := second.AddTo(first, arch.X86_64)
	if err != nil {
		t.Fatal(err)
	}
	if err := enforceRun(t, both, argv...); err != nil {
		t.Fatalf("under the first profile with the second run's additions: %v", err)
	}
}
