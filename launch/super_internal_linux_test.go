package launch

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/seccomp"
)

// TestExecNotifyProgram runs the exec filter in the VM: execve and
// execveat of every ABI the host runs are notified, nothing else.
func TestExecNotifyProgram(t *testing.T) {
	native, ok := arch.Native()
	if !ok {
		t.Skip("unknown native architecture")
	}
	prog, err := execNotifyProgram(native)
	if err != nil {
		t.Fatal(err)
	}
	abis := append([]arch.Arch{native}, native.Compat()...)
	for _, a := range abis {
		for _, name := range []string{"execve", "execveat", "uname", "fork", "clone"} {
			nr, ok := a.SyscallNumber(name)
			if !ok {
				continue
			}
			d := bpf.SeccompData{Nr: int32(nr), Arch: a.Audit()}
			ret, _, err := bpf.NewVM(a.ByteOrder()).Run(prog, d.Marshal(a.ByteOrder()))
			if err != nil {
				t.Fatal(err)
			}
			want := uint32(seccomp.SECCOMP_RET_ALLOW)
			if name == "execve" || name == "execveat" {
				want = seccomp.SECCOMP_RET_USER_NOTIF
			}
			if ret != want {
				t.Errorf("%s %s (%d): %#x, want %#x", a, name, nr, ret, want)
			}
		}
	}
}

// TestBrokerNotifyProgram runs the broker's notify filter in the VM:
// every call the broker answers or refuses, and execve, of every ABI the
// host runs is notified; other calls are not.
func TestBrokerNotifyProgram(t *testing.T) {
	native, ok := arch.Native()
	if !ok {
		t.Skip("unknown native architecture")
	}
	names := append(brokerNotified(), "execve", "execveat")
	prog, err := notifyProgram(native, names)
	if err != nil {
		t.Fatal(err)
	}
	notified := map[string]bool{}
	for _, n := range names {
		notified[n] = true
	}
	for _, a := range append([]arch.Arch{native}, native.Compat()...) {
		for _, s := range a.Syscalls() {
			d := bpf.SeccompData{Nr: int32(s.Nr), Arch: a.Audit()}
			ret, _, err := bpf.NewVM(a.ByteOrder()).Run(prog, d.Marshal(a.ByteOrder()))
			if err != nil {
				t.Fatal(err)
			}
			want := uint32(seccomp.SECCOMP_RET_ALLOW)
			if notified[s.Name] {
				want = seccomp.SECCOMP_RET_USER_NOTIF
			}
			if ret != want {
				t.Errorf("%s %s (%d): %#x, want %#x", a, s.Name, s.Nr, ret, want)
			}
		}
	}
}
