package inspect

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/seccomp"
)

func TestDifferenceText(t *testing.T) {
	allow, kill := uint32(seccomp.SECCOMP_RET_ALLOW), uint32(seccomp.SECCOMP_RET_KILL_PROCESS)
	ds := []Difference{
		{Arch: arch.X86_64, Nr: 63, Syscall: "uname", Inputs: 1, Differing: 1, Examples: []Example{{A: allow, B: kill}}},
		{Arch: arch.X86_64, Nr: 41, Syscall: "socket", Inputs: 9, Differing: 2, ArgsMatter: true, Examples: []Example{
			{Data: seccomp.Data{Args: [6]uint64{40}}, A: allow, B: kill},
			{Data: seccomp.Data{InstructionPointer: 0x1000}, A: kill, B: allow}}},
		{Arch: arch.X86_64, Nr: 100000, Inputs: 1, Differing: 1, Examples: []Example{{A: allow, B: kill}}},
		{Arch: arch.Invalid, Inputs: 1, Differing: 1, Examples: []Example{{A: allow, B: kill}}},
	}
	var b strings.Builder
	WriteDifferences(&b, ds, "A", "B")
	want := `x86_64 uname(63): A ALLOW, B KILL_PROCESS
x86_64 socket(41): differs on 2 of 9 argument values tried
  arg0=0x28: A ALLOW, B KILL_PROCESS
  ip=0x1000: A KILL_PROCESS, B ALLOW
x86_64 #100000 (beyond the table): A ALLOW, B KILL_PROCESS
unknown-arch any call of an ABI the filters do not know: A ALLOW, B KILL_PROCESS
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	js, err := json.Marshal(ds[1])
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"arch":"x86_64","syscall":"socket","nr":41,"argumentsMatter":true,"inputs":9,"differing":2,"examples":[` +
		`{"args":["0x28","0x0","0x0","0x0","0x0","0x0"],"a":"ALLOW","b":"KILL_PROCESS"},` +
		`{"args":["0x0","0x0","0x0","0x0","0x0","0x0"],"ip":"0x1000","a":"KILL_PROCESS","b":"ALLOW"}]}`
	if string(js) != wantJSON {
		t.Errorf("JSON\n%s\nwant\n%s", js, wantJSON)
	}
}

func TestNotProvenDescribe(t *testing.T) {
	e := &NotProvenError{Stack: 1, Filter: 0, PC: 3, Instruction: "ld M[0]", Reason: "scratch memory"}
	if got := e.Describe([2]string{"live", "profile"}); got != "instruction 3 (ld M[0]) of profile filter 0: scratch memory" {
		t.Errorf("Describe = %q", got)
	}
	e = &NotProvenError{Stack: -1, Filter: -1, PC: -1, Reason: "too many inputs"}
	if got := e.Describe([2]string{"a", "b"}); got != "too many inputs" {
		t.Errorf("Describe = %q", got)
	}
}
