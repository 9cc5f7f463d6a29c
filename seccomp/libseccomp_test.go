//go:build libseccomp && cgo

package seccomp_test

// Differential tests against libseccomp (go test -tags libseccomp): for the
// Docker default profile and for thousands of random profiles
// (internal/proftest), on every input proftest.Inputs gives for every ABI
// the profile covers, three verdicts must agree:
//
//	(a) syscage's filter (Compile with NoENOSYS) run in the VM,
//	(b) the reference, Expect with NoENOSYS,
//	(c) the filter libseccomp builds as runc does (internal/libseccomp),
//	    with its binary tree (optimize 2) and, on a subset, its priority
//	    lists (optimize 1), run in the VM.
//
// (a) and (b) must agree on every input. (c) is compared on the inputs
// whose system call syscage's tables and the installed libseccomp's name
// alike: libseccomp 2.5.4 lacks the system calls added after Linux 5.17
// (arch/testdata/libseccomp-2.5.4-differences.txt), and runc skips names
// libseccomp does not know.
//
// Reproduce one profile with -libseccomp.seed=SEED -libseccomp.n=1, SEED
// being the profile's seed as printed.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/libseccomp"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/internal/testenv"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

var (
	libN         = flag.Int("libseccomp.n", 10000, "random profiles the libseccomp differential tests check")
	libSeed      = flag.Uint64("libseccomp.seed", 0, "seed of the first random profile; 0 picks one from the clock")
	libO1Every   = flag.Int("libseccomp.o1every", 5, "also check libseccomp's optimize-1 filter on every n-th random profile")
	libFullEvery = flag.Int("libseccomp.fullevery", 10, "ask Expect about the whole profile on every input of every n-th random profile (1: all)")
)

// libSeeds returns the seed of the first profile, logging it.
func libSeeds(t *testing.T) uint64 {
	t.Helper()
	s := *libSeed
	if s == 0 {
		s = uint64(time.Now().UnixNano())&0xffffffffffff | 1
	}
	t.Logf("random profiles %d..%d (reproduce one with -libseccomp.seed=SEED -libseccomp.n=1)", s, s+uint64(*libN)-1)
	return s
}

func randomProfile(seed uint64, o proftest.Config) *profile.Profile {
	return proftest.Random(rand.New(rand.NewPCG(seed, 0)), o)
}

var noENOSYS = seccomp.Options{NoENOSYS: true}

// libFilter is one of libseccomp's filters of a profile.
type libFilter struct {
	opt  int
	prog bpf.Program
}

// verdicts runs the three filters on one input.
type diffRun struct {
	p    *profile.Profile
	host arch.Arch
	ours *seccomp.Filter
	// dec is syscage's filter with every conditional system call emitted
	// from its Decision (nil: not built for this profile).
	dec  *seccomp.Filter
	libs []libFilter
	seed uint64 // of a random profile, for messages
	// full asks Expect about the whole profile on every input; otherwise
	// about the profile reduced to the rules that reach the input's system
	// call (see trimmer).
	full bool
}

// reach indexes the rules of p by the system calls they reach on the ABIs
// of p with audit value audit, directly or through socketcall(2) or
// ipc(2).
func reach(p *profile.Profile, audit uint32) map[uint32][]int {
	out := map[uint32][]int{}
	for i, r := range p.Rules {
		seen := map[uint32]bool{}
		for _, a := range p.Arches {
			if a.Audit() != audit {
				continue
			}
			for _, n := range r.Names {
				if x, ok := a.SyscallNumber(n); ok && !seen[x] {
					seen[x] = true
					out[x] = append(out[x], i)
				}
				if m, ok := a.Multiplexed(n); ok && !seen[m.Nr] {
					seen[m.Nr] = true
					out[m.Nr] = append(out[m.Nr], i)
				}
			}
		}
	}
	return out
}

// trimmer gives, for each system call, p reduced to the rules that reach
// it (in their order). libseccomp keeps one rule database per system call
// of each ABI, so the other rules cannot change the verdict; asking Expect
// about the reduced profile only makes the reference cheaper (Expect
// validates the profile and rebuilds the system call's database for every
// input). One profile in libseccomp.fullevery is checked against Expect on
// the whole profile instead, which would catch rules leaking into other
// system calls' verdicts.
type trimmer struct {
	p     *profile.Profile
	index map[uint32][]int
	cache map[uint32]*profile.Profile
	none  *profile.Profile
}

func newTrimmer(p *profile.Profile, audit uint32) *trimmer {
	none := *p
	none.Rules = nil
	return &trimmer{p: p, index: reach(p, audit), cache: map[uint32]*profile.Profile{}, none: &none}
}

func (t *trimmer) profile(nr uint32) *profile.Profile {
	rules, ok := t.index[nr]
	if !ok {
		return t.none
	}
	if q := t.cache[nr]; q != nil {
		return q
	}
	q := *t.p
	q.Rules = make([]profile.Rule, len(rules))
	for i, j := range rules {
		q.Rules[i] = t.p.Rules[j]
	}
	t.cache[nr] = &q
	return &q
}

type diffStats struct {
	profiles, refused, inputs, libInputs int
	skips                                map[string]int // inputs not compared with libseccomp, by reason
	arches                               map[arch.Arch]int
	refusals                             map[string]int    // why both refused, by syscage's error
	libHangs                             int               // profiles libseccomp did not finish building
	tooComplex                           int               // profiles syscage refused as over its work bound, libseccomp built
	complexExample                       string            // the first of them
	hangExample                          string            // the first of them
	libBugs                              map[string]int    // verdicts excused by a libseccomp bug, by bug
	bugExamples                          map[string]string // the first of each
}

func (s *diffStats) add(o diffStats) {
	s.profiles += o.profiles
	s.refused += o.refused
	s.inputs += o.inputs
	s.libInputs += o.libInputs
	for k, n := range o.refusals {
		if s.refusals == nil {
			s.refusals = map[string]int{}
		}
		s.refusals[k] += n
	}
	s.libHangs += o.libHangs
	s.tooComplex += o.tooComplex
	if s.complexExample == "" {
		s.complexExample = o.complexExample
	}
	if s.hangExample == "" {
		s.hangExample = o.hangExample
	}
	for k, n := range o.skips {
		s.skip(k)
		s.skips[k] += n - 1
	}
	for k, n := range o.libBugs {
		if s.libBugs == nil {
			s.libBugs = map[string]int{}
			s.bugExamples = map[string]string{}
		}
		s.libBugs[k] += n
		if s.bugExamples[k] == "" {
			s.bugExamples[k] = o.bugExamples[k]
		}
	}
	if s.arches == nil {
		s.arches = map[arch.Arch]int{}
	}
	for a, n := range o.arches {
		s.arches[a] += n
	}
}

// logBugs logs the libseccomp bugs the run met, with the first example of
// each.
func (s *diffStats) logBugs(t *testing.T) {
	bugs := slices.Sorted(maps.Keys(s.libBugs))
	for _, k := range bugs {
		t.Logf("%d verdicts of libseccomp's filters excused: the path in libseccomp's program %s (a libseccomp bug); the first %s", s.libBugs[k], k, s.bugExamples[k])
	}
	var why []string
	for k, n := range s.refusals {
		why = append(why, fmt.Sprintf("%d× %s", n, k))
	}
	sort.Strings(why)
	for _, w := range why {
		t.Logf("both refused: %s", w)
	}
	if s.tooComplex > 0 {
		t.Logf("syscage refused %d profiles over its work bound (profile.ErrTooComplex) that libseccomp built; the first:\n%s", s.tooComplex, s.complexExample)
	}
	if s.libHangs > 0 {
		t.Logf("libseccomp did not finish building %d profiles (a libseccomp bug); the first:\n%s", s.libHangs, s.hangExample)
	}
}

func (s *diffStats) skip(why string) {
	if s.skips == nil {
		s.skips = map[string]int{}
	}
	s.skips[why]++
}

func (s *diffStats) skipText() string {
	if len(s.skips) == 0 {
		return "none skipped"
	}
	var out []string
	for k, n := range s.skips {
		out = append(out, fmt.Sprintf("%d skipped: %s", n, k))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// mismatch describes a disagreement, with everything needed to reproduce it.
type mismatch struct {
	what   string
	detail string
}

// buildTimeout bounds one compilation. libseccomp 2.5.4 never returns
// from seccomp_rule_add for some rule sets (for example two TRAP rules for
// mlock2 on x86_64: arg5 > 0 && arg1 > 0x1ffffffff, then arg5 == 10 &&
// arg1 > 0x1ffffffff), and syscage's port of its rule database may loop
// with it. A compilation that does not finish is reported and abandoned:
// its goroutine keeps running until the test binary exits.
const buildTimeout = 30 * time.Second

// loopTimeout is how long the child process that confirms that
// libseccomp never finishes building a profile (libBuildProgram) runs
// before it is killed: libseccomp builds the largest random profiles
// that it finishes in well under a second.
const loopTimeout = 5 * time.Second

// expectBudget bounds the time Expect may spend on the argument inputs of
// one system call of one profile. For a few random profiles (one in some
// ten thousand, such as seed 404967: twelve conditional rules for one
// system call) libseccomp's rule tree, and the model of it that Expect
// rebuilds for every input, grow huge (libseccomp itself takes 0.3 s, the
// model 0.8 s per input). The remaining argument inputs of such a system
// call are skipped and counted, so that the run stays within minutes; its
// zero-argument input is always checked.
const expectBudget = 3 * time.Second

// within runs fn in a goroutine and returns its result, or false when it
// does not finish in d.
func within[T any](d time.Duration, fn func() T) (T, bool) {
	c := make(chan T, 1)
	go func() { c <- fn() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case v := <-c:
		return v, true
	case <-t.C:
		var zero T
		return zero, false
	}
}

type compiled struct {
	f   *seccomp.Filter
	err error
}

type built struct {
	prog bpf.Program
	err  error
}

// build compiles p with syscage and libseccomp. It returns a mismatch when
// exactly one of them refuses p, and ok false when both do (or libseccomp
// does not finish and syscage refuses, which st counts). When libseccomp
// does not finish but syscage compiles p, the run has no libseccomp
// filters and st counts it.
func build(p *profile.Profile, host arch.Arch, o1 bool, st *diffStats, finishes func(opt int) (bool, error)) (*diffRun, *mismatch, bool) {
	p = libseccomp.KnownNames(p)
	r := &diffRun{p: p, host: host}
	ours, done := within(buildTimeout, func() compiled {
		f, err := seccomp.Compile(p, host, noENOSYS)
		return compiled{f, err}
	})
	if !done {
		return nil, &mismatch{what: fmt.Sprintf("syscage's compiler did not finish in %v", buildTimeout), detail: profileText(p)}, false
	}
	opts := []int{2}
	if o1 {
		opts = append(opts, 1)
	}
	if errors.Is(ours.err, profile.ErrLibseccompLoop) && finishes != nil {
		finished, err := finishes(opts[0])
		if err != nil {
			return nil, &mismatch{what: fmt.Sprintf("the child that builds the profile with libseccomp: %v", err), detail: profileText(p)}, false
		}
		if finished {
			return nil, &mismatch{what: fmt.Sprintf("syscage: %v; libseccomp finished building it", ours.err), detail: profileText(p)}, false
		}
		// As syscage said, libseccomp never finishes: confirmed in a
		// child process, killed after loopTimeout. Here, its
		// build would go on spinning until the test binary exits.
		st.libHangs++
		if st.hangExample == "" {
			st.hangExample = fmt.Sprintf("syscage: %v\n%s", ours.err, profileText(p))
		}
		return nil, nil, false
	}
	var errLib error
	for _, o := range opts {
		b, done := within(buildTimeout, func() built {
			prog, err := libseccomp.Build(p, host, libseccomp.Options{Optimize: o})
			return built{prog, err}
		})
		if !done {
			st.libHangs++
			if st.hangExample == "" {
				st.hangExample = fmt.Sprintf("syscage: %v\n%s", ours.err, profileText(p))
			}
			if ours.err != nil {
				return nil, nil, false
			}
			r.libs = nil
			r.ours = ours.f
			return r, nil, true
		}
		if b.err != nil {
			errLib = b.err
			break
		}
		r.libs = append(r.libs, libFilter{o, b.prog})
	}
	switch {
	case ours.err != nil && errLib != nil:
		if st.refusals == nil {
			st.refusals = map[string]int{}
		}
		st.refusals[fmt.Sprintf("syscage: %v; libseccomp: %v", ours.err, errLib)]++
		return nil, nil, false
	case errors.Is(ours.err, profile.ErrTooComplex) && errLib == nil:
		// syscage's bound on the work of its model of libseccomp's rule
		// tree, whose work (like libseccomp's) grows exponentially with
		// some rule sets: a deliberate refusal, counted and logged.
		st.tooComplex++
		if st.complexExample == "" {
			st.complexExample = fmt.Sprintf("%v\n%s", ours.err, profileText(p))
		}
		return nil, nil, false
	case ours.err != nil || errLib != nil:
		return nil, &mismatch{
			what:   fmt.Sprintf("syscage: %v; libseccomp: %v", ours.err, errLib),
			detail: profileText(p),
		}, false
	}
	r.ours = ours.f
	// Every profile also checks the code emitted from Decisions,
	// which the compiler picks only where it is shorter.
	if dec, err := seccomp.Compile(p, host, seccomp.WithDecisions(noENOSYS)); err == nil {
		r.dec = dec
	} else if !errors.Is(err, profile.ErrTooComplex) && !errors.Is(err, seccomp.ErrTooLarge) {
		return nil, &mismatch{what: fmt.Sprintf("compile with decisions: %v", err), detail: profileText(p)}, false
	}
	return r, nil, true
}

func profileText(p *profile.Profile) string {
	js, err := oci.Format(p)
	if err != nil {
		return fmt.Sprintf("%+v (oci.Format: %v)", p, err)
	}
	return string(js)
}

// audits returns the audit values of the ABIs libseccomp's filters test
// for: the host's and the profile's. (A system-call number can equal
// another ABI's audit value: parisc's is 15.)
func (r *diffRun) audits() map[uint32]bool {
	m := map[uint32]bool{r.host.Audit(): true}
	for _, a := range r.p.Arches {
		m[a.Audit()] = true
	}
	return m
}

// check runs every input of every ABI of the profile through the three
// verdicts and returns the first mismatch.
func (r *diffRun) check(st *diffStats) *mismatch {
	abis := slices.Clone(r.p.Arches)
	if !slices.Contains(abis, r.host) {
		abis = append([]arch.Arch{r.host}, abis...)
	}
	slices.Sort(abis)
	abis = slices.Compact(abis)
	covered := map[arch.Arch]bool{}
	for _, a := range abis {
		covered[a] = true
	}
	for _, abi := range abis {
		st.arches[abi]++
		order := abi.ByteOrder()
		vmOurs := bpf.NewVM(order)
		if err := vmOurs.Load(r.ours.Program); err != nil {
			return &mismatch{what: fmt.Sprintf("syscage's filter does not load: %v", err), detail: r.describe(nil, abi, bpf.SeccompData{})}
		}
		vmLib := make([]*bpf.VM, len(r.libs))
		for i, l := range r.libs {
			vmLib[i] = bpf.NewVM(order)
			if err := vmLib[i].Load(l.prog); err != nil {
				return &mismatch{what: fmt.Sprintf("libseccomp's -O%d filter does not load: %v", l.opt, err), detail: r.describe(nil, abi, bpf.SeccompData{})}
			}
		}
		var vmDec *bpf.VM
		if r.dec != nil {
			vmDec = bpf.NewVM(order)
			if err := vmDec.Load(r.dec.Program); err != nil {
				return &mismatch{what: fmt.Sprintf("syscage's filter from decisions does not load: %v", err), detail: r.describe(nil, abi, bpf.SeccompData{})}
			}
		}
		tr := newTrimmer(r.p, abi.Audit())
		spent := map[uint32]time.Duration{} // Expect's time per system call
		for _, d := range proftest.Inputs(r.p, abi) {
			nr := uint32(d.Nr)
			if d.Args != ([6]uint64{}) && spent[nr] > expectBudget {
				st.skip(fmt.Sprintf("argument inputs of system calls on which Expect spent over %v (the profile model's libseccomp tree is huge), e.g. seed %d %s nr %d", expectBudget, r.seed, abi, nr))
				continue
			}
			st.inputs++
			ref := r.p
			if !r.full && d.Arch == abi.Audit() {
				ref = tr.profile(nr)
			}
			start := time.Now()
			want, err := seccomp.Expect(ref, r.host, noENOSYS, d)
			spent[nr] += time.Since(start)
			if err != nil {
				return &mismatch{what: fmt.Sprintf("Expect: %v", err), detail: r.describe(nil, abi, d)}
			}
			raw := d.Marshal(order)
			got, _, err := vmOurs.Exec(raw)
			if err != nil {
				return &mismatch{what: fmt.Sprintf("vm: %v", err), detail: r.describe(nil, abi, d)}
			}
			libRets := make([]uint32, len(r.libs))
			for i, vm := range vmLib {
				if libRets[i], _, err = vm.Exec(raw); err != nil {
					return &mismatch{what: fmt.Sprintf("vm: %v", err), detail: r.describe(nil, abi, d)}
				}
			}
			if vmDec != nil {
				dec, _, err := vmDec.Exec(raw)
				if err != nil {
					return &mismatch{what: fmt.Sprintf("vm: %v", err), detail: r.describe(nil, abi, d)}
				}
				if dec != seccomp.RetOf(want) {
					return &mismatch{what: fmt.Sprintf("syscage's filter from decisions says %s, Expect %s", seccomp.ActionOf(dec), want), detail: r.describe(&want, abi, d, append([]uint32{got}, libRets...)...)}
				}
			}
			if got != seccomp.RetOf(want) {
				return &mismatch{what: "syscage's filter and Expect disagree", detail: r.describe(&want, abi, d, append([]uint32{got}, libRets...)...)}
			}
			if callABI, ok := arch.FromAuditNr(d.Arch, uint32(d.Nr)); ok && covered[callABI] {
				if ok, why := libseccomp.Comparable(callABI, uint32(d.Nr)); !ok {
					st.skip(why)
					continue
				}
			}
			st.libInputs++
			for i, lr := range libRets {
				if lr == got {
					continue
				}
				if at, bug := libseccomp.Bug(r.libs[i].prog, raw, order, r.audits()); at >= 0 {
					if st.libBugs == nil {
						st.libBugs = map[string]int{}
						st.bugExamples = map[string]string{}
					}
					k := fmt.Sprintf("-O%d compares %s", r.libs[i].opt, bug)
					st.libBugs[k]++
					if st.bugExamples[k] == "" {
						st.bugExamples[k] = fmt.Sprintf("at instruction %d\n%s", at, r.describe(&want, abi, d, append([]uint32{got}, libRets...)...))
					}
					continue
				}
				return &mismatch{what: "libseccomp's filter disagrees", detail: r.describe(&want, abi, d, append([]uint32{got}, libRets...)...)}
			}
		}
	}
	return nil
}

// describe prints the profile, the input, the verdicts and both filters.
func (r *diffRun) describe(want *profile.Action, abi arch.Arch, d bpf.SeccompData, rets ...uint32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host %s\nprofile:\n%s\n", r.host, profileText(r.p))
	name, _ := abi.SyscallName(uint32(d.Nr))
	fmt.Fprintf(&b, "input: abi %s arch %#x nr %#x (%s) args %#x\n", abi, d.Arch, uint32(d.Nr), name, d.Args)
	if want != nil {
		fmt.Fprintf(&b, "  (b) Expect:            %s\n", want)
	}
	if len(rets) > 0 {
		fmt.Fprintf(&b, "  (a) syscage filter:    %s (%#x)\n", seccomp.ActionOf(rets[0]), rets[0])
		for i, l := range r.libs {
			if i+1 < len(rets) {
				fmt.Fprintf(&b, "  (c) libseccomp -O%d:    %s (%#x)\n", l.opt, seccomp.ActionOf(rets[i+1]), rets[i+1])
			}
		}
	}
	opts := bpf.DisasmOptions{
		Order:       abi.ByteOrder(),
		NameSyscall: func(nr uint32) (string, bool) { return abi.SyscallName(nr) },
		NameArch: func(v uint32) (string, bool) {
			a, ok := arch.FromAudit(v)
			return a.String(), ok
		},
	}
	if r.ours != nil {
		o := opts
		o.Notes = r.ours.Notes
		fmt.Fprintf(&b, "syscage's filter (%d instructions):\n%s", len(r.ours.Program), bpf.Disassemble(r.ours.Program, o))
	}
	for _, l := range r.libs {
		fmt.Fprintf(&b, "libseccomp's -O%d filter (%d instructions):\n%s", l.opt, len(l.prog), bpf.Disassemble(l.prog, opts))
	}
	return b.String()
}

func TestLibseccompDockerDefault(t *testing.T) {
	for _, host := range []arch.Arch{arch.X86_64, arch.AARCH64, arch.S390X} {
		p := proftest.DockerDefault(host)
		st := diffStats{arches: map[arch.Arch]int{}}
		r, m, ok := build(p, host, true, &st, nil)
		if m != nil {
			t.Fatalf("%s: %s\n%s", host, m.what, m.detail)
		}
		if !ok {
			t.Fatalf("%s: both refuse the Docker default profile", host)
		}
		r.full = true
		if m := r.check(&st); m != nil {
			t.Fatalf("%s: %s\n%s", host, m.what, m.detail)
		}
		t.Logf("%s: %d inputs, %d compared with libseccomp %s (%s); %d instructions, libseccomp -O2 %d, -O1 %d",
			host, st.inputs, st.libInputs, libVersion(), st.skipText(), len(r.ours.Program), len(r.libs[0].prog), len(r.libs[1].prog))
	}
}

func libVersion() string {
	a, b, c := libseccomp.Version()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}

// passResult is what a run over random profiles found.
type passResult struct {
	first, n  int64
	st        diffStats
	verdicts  problems // disagreements on verdicts or refusals
	invalid   problems // filters bpf.Program.Validate rejects
	completed bool
}

type problems struct {
	n     int
	first []string // the first few, with their seeds
}

func (ps *problems) add(seed uint64, m *mismatch) {
	ps.n++
	if len(ps.first) < 3 {
		ps.first = append(ps.first, fmt.Sprintf("profile seed %d: %s\n%s", seed, m.what, m.detail))
	}
}

func (ps *problems) report(t *testing.T, what string, n int64) {
	for _, f := range ps.first {
		t.Error(f)
	}
	if ps.n > 0 {
		t.Errorf("%d of %d random profiles: %s", ps.n, n, what)
	}
}

// runRandom checks libseccomp.n random profiles on all CPUs: it builds
// each with syscage and libseccomp, checks that Validate accepts both
// filters, and compares the verdicts on every input.
func runRandom(t *testing.T, o proftest.Config) *passResult {
	first := libSeeds(t)
	res := &passResult{first: int64(first), n: int64(*libN), st: diffStats{arches: map[arch.Arch]int{}}}
	type result struct {
		seed             uint64
		verdict, invalid *mismatch
		st               diffStats
	}
	proftest.Each(*libN, func(i int) result {
		r := result{seed: first + uint64(i), st: diffStats{arches: map[arch.Arch]int{}}}
		r.verdict, r.invalid = checkProfile(r.seed, o, &r.st)
		return r
	}, func(r result) bool {
		if r.verdict != nil {
			res.verdicts.add(r.seed, r.verdict)
		}
		if r.invalid != nil {
			res.invalid.add(r.seed, r.invalid)
		}
		res.st.add(r.st)
		return true // every profile: the tests count the disagreements
	})
	res.completed = true
	return res
}

// libBuildProgram is the child process that builds, with libseccomp,
// a random profile on which syscage says that libseccomp never finishes
// (profile.ErrLibseccompLoop): its arguments are the profile's seed,
// proftest.Config.AllowOverlap, the host and the optimize level. It
// exits 0 when libseccomp's build returns.
const libBuildProgram = "libseccomp-build"

func init() {
	testenv.Program(libBuildProgram, func() {
		seed, err1 := strconv.ParseUint(os.Args[1], 10, 64)
		overlap, err2 := strconv.ParseBool(os.Args[2])
		host, err3 := arch.Parse(os.Args[3])
		opt, err4 := strconv.Atoi(os.Args[4])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		p := libseccomp.KnownNames(randomProfile(seed, proftest.Config{AllowOverlap: overlap}))
		libseccomp.Build(p, host, libseccomp.Options{Optimize: opt})
	})
}

// checkProfile builds the random profile of seed and o and checks it.
func checkProfile(seed uint64, o proftest.Config, st *diffStats) (verdict, invalid *mismatch) {
	st.profiles++
	p := randomProfile(seed, o)
	host := proftest.Host(p)
	finishes := func(opt int) (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), loopTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], strconv.FormatUint(seed, 10), strconv.FormatBool(o.AllowOverlap), host.String(), strconv.Itoa(opt))
		cmd.Env = append(os.Environ(), testenv.Env(libBuildProgram))
		out, err := cmd.CombinedOutput()
		switch {
		case ctx.Err() != nil:
			return false, nil // killed at the deadline
		case err != nil:
			return false, fmt.Errorf("%v\n%s", err, out)
		}
		return true, nil
	}
	r, m, ok := build(p, host, *libO1Every > 0 && seed%uint64(*libO1Every) == 0, st, finishes)
	if m != nil || !ok {
		if !ok && m == nil {
			st.refused++
		}
		return m, nil
	}
	if err := r.ours.Program.Validate(); err != nil {
		invalid = &mismatch{what: fmt.Sprintf("syscage's filter: %v", err), detail: r.describe(nil, r.host, bpf.SeccompData{})}
	}
	for _, l := range r.libs {
		if err := l.prog.Validate(); err != nil && invalid == nil {
			invalid = &mismatch{what: fmt.Sprintf("libseccomp's -O%d filter: %v", l.opt, err), detail: r.describe(nil, r.host, bpf.SeccompData{})}
		}
	}
	if invalid != nil {
		return nil, invalid
	}
	r.full = *libFullEvery > 0 && seed%uint64(*libFullEvery) == 0
	r.seed = seed
	return r.check(st), nil
}

// The restricted random profiles are checked once per test binary run,
// by whichever of TestLibseccompRandom and TestLibseccompValidate runs
// first; each reports its part.
var restricted struct {
	once sync.Once
	res  *passResult
}

func restrictedRun(t *testing.T) *passResult {
	restricted.once.Do(func() { restricted.res = runRandom(t, proftest.Config{}) })
	if restricted.res == nil || !restricted.res.completed {
		t.Fatal("the run over random profiles did not complete")
	}
	return restricted.res
}

func TestLibseccompRandom(t *testing.T) {
	res := restrictedRun(t)
	st := res.st
	res.verdicts.report(t, "the verdicts disagree", res.n)
	t.Logf("profiles %d..%d: %d (%d refused by both), %d inputs, %d compared with libseccomp %s (%s)",
		res.first, res.first+res.n-1, st.profiles, st.refused, st.inputs, st.libInputs, libVersion(), st.skipText())
	st.logBugs(t)
	var per []string
	for _, a := range arch.All() {
		if st.arches[a] > 0 {
			per = append(per, fmt.Sprintf("%s %d", a, st.arches[a]))
		}
	}
	t.Logf("profiles per ABI: %s", strings.Join(per, ", "))
	for _, a := range []arch.Arch{arch.X86_64, arch.X86, arch.X32, arch.AARCH64, arch.ARM, arch.RISCV64, arch.S390X, arch.PPC64LE} {
		if st.profiles >= 1000 && st.arches[a] < st.profiles/25 {
			t.Errorf("%s covered by only %d of %d profiles", a, st.arches[a], st.profiles)
		}
	}
}

// TestLibseccompValidate checks that the kernel would accept both filters
// (syscage's and libseccomp's) of every random profile.
func TestLibseccompValidate(t *testing.T) {
	res := restrictedRun(t)
	res.invalid.report(t, "a filter the kernel would refuse", res.n)
	t.Logf("profiles %d..%d: %d validated", res.first, res.first+res.n-1, res.st.profiles-res.st.refused)
}

// TestLibseccompRandomOverlap lifts proftest's restriction: rules for one
// system call may overlap with different actions, where libseccomp's
// verdict (or its -EEXIST) depends on how its rule database merged them,
// which syscage's model of that database must follow. It checks
// -libseccomp.n profiles, as TestLibseccompRandom does.
func TestLibseccompRandomOverlap(t *testing.T) {
	res := runRandom(t, proftest.Config{AllowOverlap: true})
	st := res.st
	res.verdicts.report(t, "the verdicts or refusals disagree", res.n)
	res.invalid.report(t, "a filter the kernel would refuse", res.n)
	t.Logf("%d profiles (%d refused by both), %d inputs, %d compared with libseccomp %s (%s)",
		st.profiles, st.refused, st.inputs, st.libInputs, libVersion(), st.skipText())
	st.logBugs(t)
}

// BenchmarkLibseccompHostile is BenchmarkCompileHostile with libseccomp
// (optimize 2, as runc builds it).
func BenchmarkLibseccompHostile(b *testing.B) {
	p := hostileBenchProfile()
	var n int
	for b.Loop() {
		prog, err := libseccomp.Build(p, arch.X86_64, libseccomp.Options{Optimize: 2})
		if err != nil {
			b.Fatal(err)
		}
		n = len(prog)
	}
	b.ReportMetric(float64(n), "insns")
}
