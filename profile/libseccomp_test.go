//go:build libseccomp

package profile_test

// Differential tests against libseccomp itself: testdata/libseccomp/helper.c
// builds the filter of a profile with libseccomp exactly as runc's
// InitSeccomp does (seccomp_init, seccomp_arch_add, one seccomp_rule_add
// per name and runc condition group), exports the BPF, and the bpf VM runs
// it. Evaluate must give the same action for every input, refuse exactly
// the profiles libseccomp refuses, and agree with Table.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
)

// staleSkips counts profiles whose libseccomp filter hit its stale
// accumulator bug.
var staleSkips int

var helper struct {
	once sync.Once
	path string
	err  error
}

func libseccompHelper(t *testing.T) string {
	t.Helper()
	helper.once.Do(func() {
		dir, err := os.MkdirTemp("", "syscage-libseccomp")
		if err != nil {
			helper.err = err
			return
		}
		helper.path = filepath.Join(dir, "helper")
		out, err := exec.Command("gcc", "-O1", "-o", helper.path, filepath.Join("testdata", "libseccomp", "helper.c"), "-lseccomp").CombinedOutput()
		if err != nil {
			helper.err = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if helper.err != nil {
		testenv.Missing(t, "cannot build the libseccomp helper (Debian packages gcc, libseccomp-dev): %v", helper.err)
	}
	return helper.path
}

// ret is the SECCOMP_RET_* value of an action.
func ret(a profile.Action) uint32 {
	switch a.Kind {
	case profile.ActKillProcess:
		return 0x80000000
	case profile.ActKillThread:
		return 0
	case profile.ActTrap:
		return 0x00030000
	case profile.ActErrno:
		return 0x00050000 | uint32(a.Data)
	case profile.ActUserNotif:
		return 0x7fc00000
	case profile.ActTrace:
		return 0x7ff00000 | uint32(a.Data)
	case profile.ActLog:
		return 0x7ffc0000
	case profile.ActAllow:
		return 0x7fff0000
	}
	panic("bad action")
}

// groups is runc's matchCall condition grouping.
func groups(conds []profile.Cond) [][]profile.Cond {
	seen := map[uint8]bool{}
	for _, c := range conds {
		if seen[c.Arg] {
			var out [][]profile.Cond
			for _, c := range conds {
				out = append(out, []profile.Cond{c})
			}
			return out
		}
		seen[c.Arg] = true
	}
	return [][]profile.Cond{conds}
}

type libResult struct {
	refused string // the first rule libseccomp refused, or ""
	prog    bpf.Program
}

func runLibseccomp(t *testing.T, p *profile.Profile, optimize int) libResult {
	t.Helper()
	var in strings.Builder
	fmt.Fprintf(&in, "default %#x\n", ret(p.Default))
	for _, a := range p.Arches {
		fmt.Fprintf(&in, "arch %s\n", a)
	}
	fmt.Fprintf(&in, "optimize %d\n", optimize)
	var lines []string
	for _, r := range p.Rules {
		if r.Action == p.Default {
			continue
		}
		for _, n := range r.Names {
			for _, g := range groups(r.Conds) {
				line := fmt.Sprintf("rule %#x %s %d", ret(r.Action), n, len(g))
				for _, c := range g {
					line += fmt.Sprintf(" %d %d %d %d", c.Arg, c.Op, c.Value, c.ValueTwo)
				}
				lines = append(lines, line)
				in.WriteString(line + "\n")
			}
		}
	}
	out := filepath.Join(t.TempDir(), "filter.bpf")
	cmd := exec.Command(libseccompHelper(t), out)
	cmd.Stdin = strings.NewReader(in.String())
	text, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s\ninput:\n%s", err, text, in.String())
	}
	var res libResult
	for _, l := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == "rule" && f[2] != "0" && f[2] != "skip" {
			i, _ := strconv.Atoi(f[1])
			res.refused = fmt.Sprintf("%s: rc %s", lines[i], f[2])
			return res
		}
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	native, _ := arch.Native()
	if res.prog, err = bpf.Decode(raw, native.ByteOrder()); err != nil {
		t.Fatal(err)
	}
	return res
}

// The pools random profiles draw from: system calls libseccomp 2.5.4 and
// syscage know alike on x86_64, x86 and x32, including multiplexed ones.
var (
	poolNames   = []string{"read", "write", "socket", "bind", "personality", "ioctl", "semctl", "socketcall"}
	poolValues  = []uint64{0, 1, 2, 5, 7, 0xff, 0xffffffff, 0x100000000, 0x100000005, 0xffffffff00000000, 0xfffffffffffffffe, ^uint64(0)}
	poolActions = []profile.Action{
		{Kind: profile.ActAllow}, {Kind: profile.ActErrno, Data: 1}, {Kind: profile.ActErrno, Data: 13},
		{Kind: profile.ActKillProcess}, {Kind: profile.ActLog}, {Kind: profile.ActTrace, Data: 3},
	}
)

// randomProfile draws a profile from the pools; dense ones crowd several
// conditional rules with different actions onto two system calls, where
// libseccomp's tree merging (and its refusals) matter.
func randomProfile(r *rand.Rand, dense bool) *profile.Profile {
	names, values := poolNames, poolValues
	nrules := 1 + r.IntN(6)
	if dense {
		names, values = poolNames[:3], poolValues[:8]
		nrules = 3 + r.IntN(6)
	}
	p := &profile.Profile{Default: poolActions[r.IntN(3)]}
	switch r.IntN(4) {
	case 1:
		p.Arches = []arch.Arch{arch.X86}
	case 2:
		p.Arches = []arch.Arch{arch.X86, arch.X32}
	case 3:
		p.Arches = []arch.Arch{arch.X32}
	}
	for i := 0; i < nrules; i++ {
		rule := profile.Rule{Action: poolActions[r.IntN(len(poolActions))]}
		for j := 0; j <= r.IntN(2); j++ {
			rule.Names = append(rule.Names, names[r.IntN(len(names))])
		}
		nc := r.IntN(4)
		if r.IntN(4) == 0 {
			nc = 0
		}
		for j := 0; j < nc; j++ {
			c := profile.Cond{Arg: uint8(r.IntN(3)), Op: profile.Op(1 + r.IntN(7)), Value: values[r.IntN(len(values))]}
			if c.Op == profile.OpMaskedEQ {
				c.ValueTwo = values[r.IntN(len(values))]
			}
			rule.Conds = append(rule.Conds, c)
		}
		p.Rules = append(p.Rules, rule)
	}
	return p
}

// inputsFor returns system calls to try: every pool name on every ABI of
// the x86 family, directly and through the multiplexers, with boundary
// arguments.
func inputsFor(p *profile.Profile) []profile.Data {
	var vals []uint64
	for _, v := range poolValues {
		vals = append(vals, v, v+1, v-1, v&0xffffffff, v&^0xff)
	}
	for _, r := range p.Rules {
		for _, c := range r.Conds {
			vals = append(vals, c.Value, c.Value+1, c.Value-1, c.ValueTwo, c.Value&c.ValueTwo, c.Value|0x4)
		}
	}
	var out []profile.Data
	add := func(a arch.Arch, nr uint32, call uint64) {
		for i := 0; i < 3; i++ {
			for _, v := range vals {
				d := profile.Data{Nr: nr, Arch: a.Audit()}
				d.Args[0] = call
				d.Args[i] = v
				out = append(out, d)
				d.Args = [6]uint64{call, v, v, v, v, v}
				out = append(out, d)
			}
		}
	}
	for _, a := range []arch.Arch{arch.X86_64, arch.X86, arch.X32, arch.AARCH64} {
		for _, n := range poolNames {
			if nr, ok := a.SyscallNumber(n); ok {
				add(a, nr, 0)
				add(a, nr, 2)
			}
			if m, ok := a.Multiplexed(n); ok {
				add(a, m.Nr, uint64(m.Call))
			}
		}
		add(a, 0xffffffff, 0)
	}
	add(arch.X86_64, 0x40000000, 0) // x32 read on the x86_64 audit value
	add(arch.X86_64, 0x40000001, 0)
	return out
}

func TestLibseccompDifferential(t *testing.T) {
	native, ok := arch.Native()
	if !ok || native != arch.X86_64 {
		t.Skip("the differential test's pools are for x86_64 hosts")
	}
	libseccompHelper(t)
	seed := uint64(1)
	if s := os.Getenv("SYSCAGE_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	n := 200
	if testing.Short() {
		n = 40
	}
	r := rand.New(rand.NewPCG(seed, 7))
	refused, agreed := 0, 0
	for i := 0; i < n; i++ {
		p := randomProfile(r, i%2 == 1)
		if !compareWithLibseccomp(t, p, native, r.IntN(2)+1) {
			js, _ := oci.Format(p)
			t.Fatalf("profile %d (seed %d):\n%s", i, seed, js)
		}
		if _, err := p.Table(native, profile.TableOptions{}); err != nil {
			refused++
		} else {
			agreed++
		}
	}
	t.Logf("%d random profiles: %d built, %d refused by libseccomp, %d skipped for libseccomp's stale-accumulator bug", n, agreed, refused, staleSkips)
}

// compareWithLibseccomp reports whether our model and libseccomp agree
// on p.
func compareWithLibseccomp(t *testing.T, p *profile.Profile, native arch.Arch, optimize int) bool {
	t.Helper()
	lib := runLibseccomp(t, p, optimize)
	var ourErr error
	tables := map[arch.Arch]*profile.Table{}
	for _, a := range append([]arch.Arch{native}, p.Arches...) {
		tab, err := p.Table(a, profile.TableOptions{})
		if err != nil {
			ourErr = err
			break
		}
		tables[a] = tab
	}
	if (lib.refused != "") != (ourErr != nil) {
		t.Errorf("libseccomp refused: %q; Table: %v", lib.refused, ourErr)
		return false
	}
	if ourErr != nil {
		return true
	}
	vm := bpf.NewVM(native.ByteOrder())
	if err := vm.Load(lib.prog); err != nil {
		t.Fatal(err)
	}
	stale := staleLoads(lib.prog)
	bad := 0
	for _, d := range inputsFor(p) {
		want, _, err := vm.Exec(bpf.SeccompData{Nr: int32(d.Nr), Arch: d.Arch, Args: d.Args}.Marshal(native.ByteOrder()))
		if err != nil {
			t.Fatalf("vm: %v", err)
		}
		got, err := profile.Evaluate(p, native, d)
		if err != nil {
			t.Errorf("evaluate: %v", err)
			return false
		}
		if ret(got) != want && passes(lib.prog, d, native, stale) {
			staleSkips++
			t.Logf("libseccomp's filter compares a stale accumulator at %v; skipping the profile", stale)
			return true
		}
		if ret(got) != want {
			bad++
			t.Errorf("nr %#x arch %#x args %#x: Evaluate %s (%#x), libseccomp %#x", d.Nr, d.Arch, d.Args, got, ret(got), want)
		}
		if abi, ok := arch.FromAuditNr(d.Arch, d.Nr); ok && tables[abi] != nil && got != profile.DefaultBadArch {
			tab := tables[abi]
			wantT := tab.Default
			if e, ok := tab.Lookup(d.Nr); ok {
				wantT = e.Decide(abi, d.Args)
			}
			if wantT != got {
				bad++
				e, _ := tab.Lookup(d.Nr)
				t.Errorf("%s nr %#x args %#x: Evaluate %s, Table %s (%+v)", abi, d.Nr, d.Args, got, wantT, e)
			}
		}
		if bad > 10 {
			break
		}
	}
	return bad == 0
}

// TestLibseccompDockerDefault compares Evaluate with libseccomp on the
// resolved Docker default profile.
func TestLibseccompDockerDefault(t *testing.T) {
	native, ok := arch.Native()
	if !ok || native != arch.X86_64 {
		t.Skip("needs an x86_64 host")
	}
	p := dockerDefault(t, native)
	lib := runLibseccomp(t, p, 2)
	if lib.refused != "" {
		t.Fatalf("libseccomp refused the Docker default profile: %s", lib.refused)
	}
	vm := bpf.NewVM(native.ByteOrder())
	if err := vm.Load(lib.prog); err != nil {
		t.Fatal(err)
	}
	if s := staleLoads(lib.prog); len(s) > 0 {
		t.Logf("libseccomp's filter compares a stale accumulator at %v", s)
	}
	vals := boundaries(p)
	skipped := map[string]bool{}
	diff, _ := os.ReadFile(filepath.Join("..", "arch", "testdata", "libseccomp-2.5.4-differences.txt"))
	for _, abi := range []arch.Arch{arch.X86_64, arch.X86, arch.X32, arch.ARM} {
		tab, err := p.Table(abi, profile.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range abi.Syscalls() {
			if newerThanLibseccomp(diff, abi, s.Name) {
				skipped[s.Name] = true
				continue
			}
			try := vals
			if e, ok := tab.Lookup(s.Nr); !ok || len(e.Rules) == 0 {
				try = []uint64{0, ^uint64(0)} // no argument rules
			}
			for _, v := range try {
				for i := 0; i < 2; i++ {
					d := profile.Data{Nr: s.Nr, Arch: abi.Audit()}
					d.Args[i] = v
					want, _, err := vm.Exec(bpf.SeccompData{Nr: int32(d.Nr), Arch: d.Arch, Args: d.Args}.Marshal(native.ByteOrder()))
					if err != nil {
						t.Fatal(err)
					}
					got, err := profile.Evaluate(p, native, d)
					if err != nil {
						t.Fatal(err)
					}
					if ret(got) != want {
						t.Fatalf("%s %s args %#x: Evaluate %s, libseccomp %#x", abi, s.Name, d.Args, got, want)
					}
				}
			}
		}
	}
	t.Logf("skipped %d system calls newer than libseccomp 2.5.4", len(skipped))
}

// newerThanLibseccomp reports whether the installed libseccomp's tables
// lack name on a (arch/testdata lists the differences with 2.5.4).
func newerThanLibseccomp(diff []byte, a arch.Arch, name string) bool {
	for _, l := range bytes.Split(diff, []byte("\n")) {
		f := strings.Fields(string(l))
		if len(f) == 5 && f[0] == a.String() && f[1] == name && (f[4] == "added" || f[4] == "renumbered" || f[4] == "missing") {
			return true
		}
	}
	return false
}

// staleLoads returns the conditional jumps of prog that can compare an
// accumulator loaded from different seccomp_data offsets depending on the
// path taken: the mark of a libseccomp code-generation bug
// (_gen_bpf_build_bpf restores the accumulator only for the first block
// that jumps to a shared block, so a rule's comparisons can fall through
// to a sibling that reads the word an earlier comparison left behind).
// It also reports comparisons of the arch field with system-call numbers
// (a missing load of nr, another libseccomp bug). Such programs do not
// compute libseccomp's own rule tree.
func staleLoads(prog bpf.Program) []int {
	type acc struct {
		off  uint32
		mask uint32
	}
	in := make([]map[acc]bool, len(prog)+1)
	add := func(i int, s map[acc]bool) {
		if i >= len(in) {
			return
		}
		if in[i] == nil {
			in[i] = map[acc]bool{}
		}
		for a := range s {
			in[i][a] = true
		}
	}
	in[0] = map[acc]bool{{off: 0xffffffff, mask: 0xffffffff}: true}
	var stale []int
	for i, ins := range prog {
		s := in[i]
		if s == nil {
			continue
		}
		switch {
		case ins.Op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS:
			add(i+1, map[acc]bool{{off: ins.K, mask: 0xffffffff}: true})
		case ins.Op == bpf.BPF_ALU|bpf.BPF_AND|bpf.BPF_K:
			out := map[acc]bool{}
			for a := range s {
				out[acc{a.off, a.mask & ins.K}] = true
			}
			add(i+1, out)
		case ins.Op == bpf.BPF_JMP|bpf.BPF_JA:
			add(i+1+int(ins.K), s)
		case ins.Op&0x07 == bpf.BPF_JMP:
			offs := map[uint32]bool{}
			for a := range s {
				offs[a.off] = true
			}
			if len(offs) > 1 {
				stale = append(stale, i)
			}
			if _, isArch := arch.FromAudit(ins.K); offs[bpf.OffsetArch] && !isArch {
				// A system-call number compared with the arch field: the
				// load of nr is missing (libseccomp skips the block that
				// carries it when the first system call of an
				// x86_64+x32 filter is a pseudo-syscall).
				stale = append(stale, i)
			}
			add(i+1+int(ins.Jt), s)
			add(i+1+int(ins.Jf), s)
		case ins.Op&0x07 == bpf.BPF_RET:
		default:
			add(i+1, s)
		}
	}
	return stale
}

// passes reports whether running prog on d executes one of the
// instructions at.
func passes(prog bpf.Program, d profile.Data, a arch.Arch, at []int) bool {
	data := bpf.SeccompData{Nr: int32(d.Nr), Arch: d.Arch, Args: d.Args}.Marshal(a.ByteOrder())
	hit := map[int]bool{}
	for _, i := range at {
		hit[i] = true
	}
	var acc uint32
	for pc := 0; pc < len(prog); {
		if hit[pc] {
			return true
		}
		ins := prog[pc]
		switch {
		case ins.Op == bpf.BPF_LD|bpf.BPF_W|bpf.BPF_ABS:
			acc = a.ByteOrder().Uint32(data[ins.K:])
			pc++
		case ins.Op == bpf.BPF_ALU|bpf.BPF_AND|bpf.BPF_K:
			acc &= ins.K
			pc++
		case ins.Op == bpf.BPF_JMP|bpf.BPF_JA:
			pc += 1 + int(ins.K)
		case ins.Op&0x07 == bpf.BPF_JMP:
			var t bool
			switch ins.Op &^ 0x07 &^ bpf.BPF_X {
			case bpf.BPF_JEQ:
				t = acc == ins.K
			case bpf.BPF_JGT:
				t = acc > ins.K
			case bpf.BPF_JGE:
				t = acc >= ins.K
			case bpf.BPF_JSET:
				t = acc&ins.K != 0
			}
			if t {
				pc += 1 + int(ins.Jt)
			} else {
				pc += 1 + int(ins.Jf)
			}
		default:
			return false
		}
	}
	return false
}
