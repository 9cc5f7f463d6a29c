package arch_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
)

func TestNamer(t *testing.T) {
	name := arch.Namer([]arch.Arch{arch.X86_64, arch.X86})
	// 59 is execve on x86_64; a number x86_64 lacks is named by the x86
	// table.
	if n, ok := name(59); !ok || n != "execve" {
		t.Errorf("59: %q %v", n, ok)
	}
	for nr := range uint32(1000) {
		x86, ok := arch.X86.SyscallName(nr)
		if _, other := arch.X86_64.SyscallName(nr); !ok || other {
			continue
		}
		if n, ok := name(nr); !ok || n != x86 {
			t.Errorf("%d: %q %v, want x86's %s", nr, n, ok, x86)
		}
	}
	if _, ok := name(1 << 20); ok {
		t.Error("a number no table has is named")
	}
	if n, ok := arch.AuditName(arch.AARCH64.Audit()); !ok || n != "aarch64" {
		t.Errorf("AuditName(aarch64) = %q %v", n, ok)
	}
	if _, ok := arch.AuditName(0xdeadbeef); ok {
		t.Error("0xdeadbeef named")
	}
}

func TestHaving(t *testing.T) {
	if got := arch.Having("socketcall"); !slices.Contains(got, arch.X86) || slices.Contains(got, arch.X86_64) {
		t.Errorf("socketcall on %v", got)
	}
	if got := arch.Having("no_such_call"); got != nil {
		t.Errorf("no_such_call on %v", got)
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		a    arch.Arch
		q    string
		want string // JSON
	}{
		{arch.X86_64, "execve", `{"arch":"x86_64","query":"execve","name":"execve","nr":59}`},
		{arch.X86_64, "0x3b", `{"arch":"x86_64","query":"0x3b","name":"execve","nr":59}`},
		{arch.X86, "socket", `{"arch":"x86","query":"socket","name":"socket","nr":359,"multiplexer":{"syscall":"socketcall","nr":102,"call":1}}`},
		{arch.X86_64, "99999", `{"arch":"x86_64","query":"99999","nr":99999,"error":"no system call 99999 on x86_64"}`},
		{arch.AARCH64, "open", `{"arch":"aarch64","query":"open","error":"unknown system call \"open\" on aarch64 (it exists on `},
	} {
		b, _ := json.Marshal(tc.a.Lookup(tc.q))
		if !strings.HasPrefix(string(b), tc.want) {
			t.Errorf("Lookup(%s, %s) = %s, want %s", tc.a, tc.q, b, tc.want)
		}
	}
}

func TestParseSyscall(t *testing.T) {
	for _, tc := range []struct {
		a    arch.Arch
		in   string
		nr   uint32
		name string
		err  string
	}{
		{arch.X86_64, "uname", 63, "uname", ""},
		{arch.X86_64, "63", 63, "uname", ""},
		{arch.X86_64, "4000", 4000, "", ""},
		{arch.X86, "send", 0, "", "send is reached through socketcall(102) on x86"},
		{arch.X86_64, "nope", 0, "", `unknown system call "nope" on x86_64`},
	} {
		nr, name, err := tc.a.ParseSyscall(tc.in)
		if nr != tc.nr || name != tc.name || (err == nil) != (tc.err == "") || err != nil && !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("ParseSyscall(%s, %q) = %d %q %v, want %d %q %q", tc.a, tc.in, nr, name, err, tc.nr, tc.name, tc.err)
		}
	}
}

// TestGrep finds the calls whose names contain a substring, in table
// order, and every call without one.
func TestGrep(t *testing.T) {
	got := arch.X86_64.Grep("sock", "pipe")
	var names []string
	for _, r := range got {
		if !strings.Contains(r.Name, "sock") && !strings.Contains(r.Name, "pipe") || r.Nr == nil {
			t.Errorf("Grep(sock, pipe) has %+v", r)
		}
		names = append(names, r.Name)
	}
	for _, want := range []string{"socket", "socketpair", "pipe", "pipe2"} {
		if !slices.Contains(names, want) {
			t.Errorf("Grep(sock, pipe) = %v, lacks %s", names, want)
		}
	}
	if len(arch.X86_64.Grep("no such call")) != 0 {
		t.Error("Grep found a call for a substring no name has")
	}
	if all := arch.X86_64.Grep(); len(all) != len(arch.X86_64.Syscalls()) || all[0].Name != arch.X86_64.Syscalls()[0].Name {
		t.Errorf("Grep() = %d calls, the table has %d", len(all), len(arch.X86_64.Syscalls()))
	}
}

// TestLookupNumber prints numbers as resolve does, multiplexed calls
// with the multiplexer and the sub-call.
func TestLookupNumber(t *testing.T) {
	for _, c := range []struct {
		a    arch.Arch
		q    string
		want string
	}{
		{arch.X86_64, "execve", "59"},
		{arch.X32, "read", "1073741824"},
		{arch.S390X, "semop", "ipc(117) call 1"},
	} {
		if got := c.a.Lookup(c.q).Number(); got != c.want {
			t.Errorf("%s %s: Number() = %q, want %q", c.a, c.q, got, c.want)
		}
	}
}

func TestAnswers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		a       arch.Arch
		qs      []string
		subs    []string
		all     bool
		lines   []string // Line(table) of each answer
		unknown int
	}{
		{"names and numbers", arch.X86_64, []string{"read", "59", "nosuchcall", "9999"}, nil, false, []string{"0", "execve", "", ""}, 2},
		{"multiplexed", arch.X86, []string{"semop"}, nil, false, []string{"ipc(117) call 1"}, 0},
		{"grep", arch.X86_64, nil, []string{"statmount"}, false, []string{"457        statmount"}, 0},
		{"grep and a name", arch.X86_64, []string{"read"}, []string{"statmount"}, false, []string{"457        statmount", "0          read"}, 0},
		{"grep finds nothing", arch.X86_64, nil, []string{"zzzz"}, false, nil, 1},
	} {
		out, unknown := tc.a.Answers(tc.qs, tc.subs, tc.all)
		var lines []string
		for _, r := range out {
			lines = append(lines, r.Line(tc.all || len(tc.subs) > 0))
		}
		if !reflect.DeepEqual(lines, tc.lines) || unknown != tc.unknown {
			t.Errorf("%s: %q, %d unknown; want %q, %d", tc.name, lines, unknown, tc.lines, tc.unknown)
		}
	}
	all, unknown := arch.RISCV64.Answers(nil, nil, true)
	if unknown != 0 || len(all) != len(arch.RISCV64.Syscalls()) || all[0].Line(true) != fmt.Sprintf("%-10d %s", *all[0].Nr, all[0].Name) {
		t.Errorf("the whole table: %d answers of %d, %d unknown", len(all), len(arch.RISCV64.Syscalls()), unknown)
	}
}
