package ebpf

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/syscage/syscage/record"
)

// TestChoose: the engine each name gives a command, a running process
// and a cgroup, and the combinations that cannot record.
func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		name, engine string
		stops        bool
		pid          int
		cgroup       string
		ptrace       bool
		err          string
	}{
		{name: "default of a command", ptrace: true},
		{name: "ptrace", engine: "ptrace", ptrace: true},
		{name: "ptrace stops", engine: "ptrace", stops: true, ptrace: true},
		{name: "ebpf", engine: "ebpf"},
		{name: "ebpf stops", engine: "ebpf", stops: true, err: "--engine ebpf: --stops needs the ptrace engine"},
		{name: "bogus", engine: "bogus", err: `--engine: "bogus" is not ebpf, ptrace or auto`},
		{name: "auto stops", engine: "auto", stops: true, ptrace: true},
		{name: "default of a pid", pid: 1},
		{name: "pid auto", engine: "auto", pid: 1},
		{name: "pid ptrace", engine: "ptrace", pid: 1, err: "--pid needs --engine ebpf: the ptrace engine follows only programs it starts"},
		{name: "cgroup ptrace", engine: "ptrace", cgroup: "/sys/fs/cgroup", err: "--cgroup needs --engine ebpf"},
		{name: "cgroup stops", stops: true, cgroup: "/sys/fs/cgroup", err: "--cgroup: --stops needs the ptrace engine, which follows only programs it starts"},
		{name: "pid bogus", engine: "bogus", pid: 1, err: `--engine: "bogus" is not ebpf, ptrace or auto`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Choose(tc.engine, tc.stops, tc.pid, tc.cgroup)
			if tc.err != "" {
				var oe *record.OptionError
				if !errors.As(err, &oe) || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want an OptionError %q", err, tc.err)
				}
				return
			}
			if err != nil || c.Run == nil || c.Ptrace != tc.ptrace {
				t.Fatalf("got %+v, %v; want ptrace %v", c, err, tc.ptrace)
			}
			if tc.stops && c.Fallback != "using the ptrace engine (--stops needs it)" && tc.engine == "auto" {
				t.Errorf("fallback %q", c.Fallback)
			}
		})
	}
}

// TestChooseAuto: auto takes eBPF exactly when the engine can run, and
// otherwise says why it cannot.
func TestChooseAuto(t *testing.T) {
	c, err := Choose("auto", false, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if avail := Available(); avail != nil {
		if !c.Ptrace || c.Fallback != "using the ptrace engine: "+avail.Error() {
			t.Errorf("eBPF unavailable (%v): got ptrace %v, fallback %q", avail, c.Ptrace, c.Fallback)
		}
	} else if c.Ptrace || c.Fallback != "" {
		t.Errorf("eBPF available: got ptrace %v, fallback %q", c.Ptrace, c.Fallback)
	}
}

// TestChooseAttachTarget: the engine of --pid records that process (one
// that does not exist is an error of the recorder, not of the choice).
func TestChooseAttachTarget(t *testing.T) {
	c, err := Choose("", false, 1<<22+1, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background(), nil, record.Options{}); err == nil {
		t.Error("recording a process that does not exist worked")
	}
}
