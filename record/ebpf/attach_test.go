//go:build linux && amd64

package ebpf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
)

// safety ends a recording that would otherwise never end, so that the
// test fails instead of hanging; no test expects it to fire.
const safety = 2 * time.Minute

// newCgroup makes a cgroup in the cgroup v2 file system for the test.
func newCgroup(t *testing.T) string {
	t.Helper()
	root := cgroup2Mount()
	if root == "" {
		t.Fatal("no cgroup v2 file system is mounted")
	}
	cg, err := os.MkdirTemp(root, "syscage-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(cg); err != nil {
			t.Errorf("remove the cgroup: %v", err)
		}
	})
	return cg
}

// attachCgroup records cg with o and fails the test unless the
// recording ended by itself (not by the safety context).
func attachCgroup(t *testing.T, cg string, o record.Options) *record.Recording {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	res, err := AttachCgroup(ctx, cg, o)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the recording ended only when its context did: it missed the end of the cgroup's tasks")
	}
	if res.Recording.Partial {
		t.Errorf("partial: %s", res.Recording.Reason)
	}
	return res.Recording
}

// TestAttachCgroupShortTask: a task that is in the cgroup for a moment,
// joining and ending right after the recording started, is recorded,
// and its end ends the recording. The recording starts with the cgroup
// empty, and says so.
func TestAttachCgroupShortTask(t *testing.T) {
	needEngine(t)
	cg := newCgroup(t)
	waiting := false
	rec := attachCgroup(t, cg, record.Options{
		OnRecording: func() {
			// Joins, makes one call and ends before OnRecording returns.
			out, err := exec.Command("sh", "-c", `echo $$ > "$1"/cgroup.procs && exec uname -n`, "sh", cg).CombinedOutput()
			if err != nil {
				t.Errorf("the task in the cgroup: %v: %s", err, out)
			}
		},
		OnWaiting: func() { waiting = true },
	})
	if !waiting {
		t.Error("OnWaiting was not called, but the cgroup was empty")
	}
	for _, name := range []string{"execve", "uname", "exit_group"} {
		if !rec.Has(arch.X86_64, name) {
			t.Errorf("no %s in %v", name, rec.Calls())
		}
	}
}

// TestAttachCgroupNoCall: a task moved into the cgroup and killed there
// without making a call ends the recording too (the kernel sees it end
// in the cgroup); nothing is recorded.
func TestAttachCgroupNoCall(t *testing.T) {
	needEngine(t)
	cg := newCgroup(t)
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Moved once it sleeps in clock_nanosleep, so that it makes no call
	// in the cgroup.
	for !sleeping(t, cmd.Process.Pid) {
		time.Sleep(time.Millisecond)
	}
	rec := attachCgroup(t, cg, record.Options{
		OnRecording: func() {
			if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
				t.Errorf("move the task: %v", err)
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		},
	})
	if n := len(rec.Calls()); n != 0 {
		t.Errorf("%d calls recorded, want none: %v", n, rec.Calls())
	}
}

// TestAttachCgroupMovedOut: a task moved into the cgroup (or a cgroup
// below it) and out again without making a call ends the recording too
// (the kernel sees it move in); nothing is recorded.
func TestAttachCgroupMovedOut(t *testing.T) {
	needEngine(t)
	for _, below := range []string{"", "a/b"} {
		name := "itself"
		if below != "" {
			name = "below"
		}
		t.Run(name, func(t *testing.T) {
			cg := newCgroup(t)
			dst := cg
			if below != "" {
				dst = filepath.Join(cg, below)
				if err := os.MkdirAll(dst, 0o755); err != nil {
					t.Fatal(err)
				}
				defer func() {
					for d := dst; d != cg; d = filepath.Dir(d) {
						if err := os.Remove(d); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			cmd := exec.Command("sleep", "1000")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}()
			for !sleeping(t, cmd.Process.Pid) {
				time.Sleep(time.Millisecond)
			}
			pid := []byte(strconv.Itoa(cmd.Process.Pid))
			rec := attachCgroup(t, cg, record.Options{
				OnRecording: func() {
					for _, dir := range []string{dst, filepath.Dir(cg)} {
						if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), pid, 0); err != nil {
							t.Errorf("move the task to %s: %v", dir, err)
						}
					}
				},
			})
			if n := len(rec.Calls()); n != 0 {
				t.Errorf("%d calls recorded, want none: %v", n, rec.Calls())
			}
		})
	}
}

// TestAttachCgroupPopulated: a cgroup with a task when the recording
// starts is recorded until its last task ends, without OnWaiting; with
// Options.Args, the arguments of its calls are kept.
func TestAttachCgroupPopulated(t *testing.T) {
	needEngine(t)
	cg := newCgroup(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("sh", "-c", `echo $$ > "$1"/cgroup.procs && echo in && { read x; uname -n; }`, "sh", cg)
	cmd.Stdin = r
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if _, err := out.Read(make([]byte, 3)); err != nil {
		t.Fatal(err)
	}
	rec := attachCgroup(t, cg, record.Options{
		Args:        true,
		OnRecording: func() { w.Close() }, // read x returns: uname runs
		OnWaiting:   func() { t.Error("OnWaiting called, but the cgroup had a task") },
	})
	if err := cmd.Wait(); err != nil {
		t.Error(err)
	}
	if !rec.Has(arch.X86_64, "uname") {
		t.Errorf("no uname in %v", rec.Calls())
	}
	// uname's loader maps its libraries: mmap's prot values are kept.
	if !slices.ContainsFunc(rec.Calls(), func(c record.Call) bool { return c.Name == "mmap" && len(c.Values) > 0 }) {
		t.Errorf("no mmap with its values in %v", rec.Calls())
	}
}

// TestAttachCgroupRoot: the root cgroup (no cgroup.events) is recorded
// until the context ends: every task of the host is in it.
func TestAttachCgroupRoot(t *testing.T) {
	needEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := AttachCgroup(ctx, cgroup2Mount(), record.Options{
		OnRecording: func() {
			// A call of a task of the host, then the end.
			if out, err := exec.Command("uname", "-n").CombinedOutput(); err != nil {
				t.Errorf("uname: %v: %s", err, out)
			}
			cancel()
		},
		OnWaiting: func() { t.Error("OnWaiting called for the root cgroup") },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Recording.Has(arch.X86_64, "uname") {
		t.Errorf("no uname in %v", res.Recording.Calls())
	}
}

// TestAttachCgroupV1: a cgroup v1 directory is an error that names the
// cgroup v2 file system.
func TestAttachCgroupV1(t *testing.T) {
	needEngine(t)
	v1 := ""
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[2] == "cgroup" {
			v1 = f[1]
			break
		}
	}
	if v1 == "" {
		t.Skip("no cgroup v1 hierarchy is mounted (a cgroup v2 only layout)")
	}
	_, err = AttachCgroup(context.Background(), v1, record.Options{})
	if err == nil || !strings.Contains(err.Error(), "a cgroup v1 directory") || !strings.Contains(err.Error(), "mounted at "+cgroup2Mount()) {
		t.Errorf("error %v, want one that names the cgroup v1 directory and the v2 mount", err)
	}
}

// TestAttachPIDEnded: a process that has ended, not yet reaped, is an
// error, not an empty recording.
func TestAttachPIDEnded(t *testing.T) {
	needEngine(t)
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	// Wait until it has ended, leaving it a zombie.
	var info [128]byte
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, 1 /* P_PID */, uintptr(cmd.Process.Pid), uintptr(unsafe.Pointer(&info)), syscall.WEXITED|0x01000000 /* WNOWAIT */, 0, 0)
		if e != syscall.EINTR {
			if e != 0 {
				t.Fatal(e)
			}
			break
		}
	}
	res, err := AttachPID(context.Background(), cmd.Process.Pid, record.Options{})
	if err == nil || !strings.Contains(err.Error(), "has ended") {
		t.Errorf("AttachPID of an ended process: %v, %v; want an error that says it has ended", res, err)
	}
}

// TestAttachPIDEnds: a process that ends as the recording starts ends
// it, with what it did meanwhile.
func TestAttachPIDEnds(t *testing.T) {
	needEngine(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("sh", "-c", `read x; uname -n >/dev/null & wait`)
	cmd.Stdin = r
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	res, err := AttachPID(ctx, cmd.Process.Pid, record.Options{OnRecording: func() { w.Close() }})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the recording ended only when its context did")
	}
	for _, name := range []string{"read", "execve", "uname", "wait4", "exit_group"} {
		if !res.Recording.Has(arch.X86_64, name) {
			t.Errorf("no %s in %v", name, res.Recording.Calls())
		}
	}
}

// sleeping reports whether process pid is blocked in clock_nanosleep
// or nanosleep, from /proc/PID/syscall.
func sleeping(t *testing.T, pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", pid))
	if err != nil {
		t.Fatal(err)
	}
	nr, _, _ := strings.Cut(string(b), " ")
	return nr == strconv.Itoa(syscall.SYS_CLOCK_NANOSLEEP) || nr == strconv.Itoa(syscall.SYS_NANOSLEEP)
}
