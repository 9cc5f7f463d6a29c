package containers

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/inspect"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/oci"
	"github.com/syscage/syscage/seccomp"
)

// Status is the outcome of Check for one container.
type Status string

// Statuses of a Result.
const (
	// Match: every thread of the container holds filters proven to
	// decide every input as config.json compiled does.
	Match Status = "match"
	// Differs: some thread's filters decide some system call otherwise.
	Differs Status = "differs"
	// Unfiltered: some thread runs without a filter.
	Unfiltered Status = "unfiltered"
	// Unproven: the agreement cannot be proven (inspect.NotProvenError).
	Unproven Status = "unproven"
	// Stopped: the container has no running init process.
	Stopped Status = "stopped"
	// Failed: the container could not be checked (Result.Error), or some
	// of its threads could not be read.
	Failed Status = "error"
)

// Options control Check.
type Options struct {
	Host arch.Arch // the kernel's native ABI
	Dump inspect.DumpOptions
	// Lacks are the names the runtime's libseccomp does not know; nil
	// for one that knows all of syscage's.
	Lacks Lacks
}

// Result is the attestation of one container.
type Result struct {
	Container
	Status Status `json:"status"`
	// Config is the bundle's config.json and ConfigSHA256 the SHA-256 of
	// its bytes as they were compared; Seccomp reports whether it has a
	// linux.seccomp section.
	Config       string `json:"config"`
	ConfigSHA256 string `json:"configSha256,omitempty"`
	Seccomp      bool   `json:"seccomp"`
	// Processes are the container's processes, init first.
	Processes []int `json:"pids"`
	// Groups are its threads grouped by the filters they hold.
	Groups []Group `json:"threads"`
	// Unread are the threads whose filters could not be read.
	Unread []string `json:"unread,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Finding reports that r is something to act on: the container's
	// filters differ from its config.json, cannot be proven to match,
	// or cannot be read, or it runs unfiltered while its config.json
	// asks for a filter. A container without a seccomp section that runs
	// unfiltered, as asked, and a stopped one are not.
	Finding bool `json:"finding"`
}

func (r Result) finding() bool {
	switch r.Status {
	case Match, Stopped:
		return false
	case Unfiltered:
		return r.Seccomp
	}
	return true
}

// Group is the threads of a container that hold the same filters.
type Group struct {
	TIDs []int `json:"tids"`
	// Filters are the filters they hold, oldest first. A filter is one
	// program for every ABI it covers.
	Filters []Loaded `json:"filters"`
	// Same is proven agreement with config.json.
	Same        bool                 `json:"same"`
	Differences []inspect.Difference `json:"differences"`
	Unproven    string               `json:"unproven,omitempty"`
	Stats       *inspect.Stats       `json:"compared,omitempty"`
}

// Loaded is one filter as the kernel holds it.
type Loaded struct {
	Index int `json:"index"` // 0 is the oldest
	// SHA256 is the SHA-256 of the program as the kernel holds it: its
	// struct sock_filter array in the native byte order, the bytes of
	// 'syscage dump -o' (filter-N.bpf).
	SHA256       string `json:"sha256"`
	Instructions int    `json:"instructions"`
	Log          bool   `json:"log,omitempty"`
}

// Check checks container c: see the package documentation. Errors are
// in the Result (Status Failed), so that one container's does not stop
// the check of the others.
func Check(c Container, o Options) Result {
	r := Result{Container: c, Config: filepath.Join(c.Bundle, "config.json"), Processes: []int{}, Groups: []Group{}}
	if !c.Running() {
		r.Status = Stopped
		r.Finding = r.finding()
		return r
	}
	if err := r.check(o); err != nil {
		r.Status, r.Error = Failed, err.Error()
	}
	r.Finding = r.finding()
	return r
}

func (r *Result) check(o Options) error {
	want, err := r.compile(o)
	if err != nil {
		return err
	}
	pids, err := Processes(r.Container)
	if err != nil {
		return err
	}
	var tasks []inspect.Task
	for _, pid := range pids {
		ts, err := inspect.DumpTasks(pid, o.Dump)
		if err != nil {
			if _, serr := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(serr, os.ErrNotExist) {
				return err
			}
			if pid == r.Pid {
				r.Status, r.Processes = Stopped, []int{}
				return nil
			}
			continue // it ended meanwhile
		}
		r.Processes = append(r.Processes, pid)
		tasks = append(tasks, ts...)
	}
	if !r.Running() {
		// The init process ended and its number may be another's.
		r.Status, r.Processes = Stopped, []int{}
		return nil
	}
	groups, unread := inspect.GroupTasks(tasks)
	for _, err := range unread {
		r.Unread = append(r.Unread, err.Error())
	}
	order := o.Host.ByteOrder()
	status := Match
	if len(unread) > 0 {
		status = Failed
	}
	rank := map[Status]int{Match: 0, Failed: 1, Unproven: 2, Differs: 3, Unfiltered: 4}
	worse := func(s Status) {
		if rank[s] > rank[status] {
			status = s
		}
	}
	for _, g := range groups {
		out := Group{TIDs: g.TIDs, Filters: []Loaded{}, Differences: []inspect.Difference{}}
		for _, f := range g.Filters {
			sum := sha256.Sum256(f.Program.Encode(order))
			out.Filters = append(out.Filters, Loaded{Index: f.Index, SHA256: hex.EncodeToString(sum[:]), Instructions: len(f.Program), Log: f.Log})
		}
		switch {
		case len(g.Filters) == 0 && r.Seccomp:
			// Every system call differs; one status says it.
			worse(Unfiltered)
		case len(g.Filters) == 0:
			out.Same = true
			if len(groups) == 1 && len(unread) == 0 {
				status = Unfiltered // as config.json asks: not a finding
			}
		default:
			if err := want.compare(inspect.StackOf(g.Filters), &out); err != nil {
				return err
			}
			switch {
			case len(out.Differences) > 0:
				worse(Differs)
			case out.Unproven != "":
				worse(Unproven)
			}
		}
		r.Groups = append(r.Groups, out)
	}
	r.Status = status
	return nil
}

// reference is config.json's seccomp section compiled as the runtime
// loads it: one stack per set of ABIs on which the runtime's libseccomp
// lacks the same names (variants[0] is also compared on ABIs no filter
// knows).
type reference struct {
	variants []variant
}

type variant struct {
	arches []arch.Arch // nil: every ABI (those of later variants excepted)
	stack  inspect.Stack
}

func (r *Result) compile(o Options) (*reference, error) {
	b, err := os.ReadFile(r.Config)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", r.ID, err)
	}
	sum := sha256.Sum256(b)
	r.ConfigSHA256 = hex.EncodeToString(sum[:])
	var cfg struct {
		Linux *struct {
			Seccomp json.RawMessage `json:"seccomp"`
		} `json:"linux"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", r.Config, err)
	}
	r.Seccomp = cfg.Linux != nil && len(cfg.Linux.Seccomp) > 0 && string(cfg.Linux.Seccomp) != "null"
	if !r.Seccomp {
		// No filter: every call is allowed, as by an empty stack.
		return &reference{variants: []variant{{stack: inspect.Stack{}}}}, nil
	}
	raw, err := oci.Parse(r.Config, b)
	if err != nil {
		return nil, err
	}
	p, err := raw.Resolve(profile.Env{Arch: o.Host})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Config, err)
	}
	// ABIs by the names of p their libseccomp lacks: runc drops a rule
	// whose name the native ABI lacks, libseccomp a name on each ABI
	// that lacks it.
	byKey := map[string]int{}
	var ref reference
	for _, a := range arch.All() {
		var gone []string
		for _, rule := range p.Rules {
			for _, n := range rule.Names {
				if (o.Lacks[a][n] || o.Lacks[o.Host][n]) && !slices.Contains(gone, n) {
					gone = append(gone, n)
				}
			}
		}
		slices.Sort(gone)
		key := strings.Join(gone, ",")
		i, ok := byKey[key]
		if !ok {
			q := p.Clone()
			q.Rules = q.Rules[:0]
			for _, rule := range p.Rules {
				rule.Names = slices.DeleteFunc(slices.Clone(rule.Names), func(n string) bool { return slices.Contains(gone, n) })
				if len(rule.Names) > 0 {
					q.Rules = append(q.Rules, rule)
				}
			}
			// runc puts its ENOSYS stub before libseccomp's filter;
			// crun loads libseccomp's as it is (libcrun/seccomp.c).
			f, err := seccomp.Compile(q, o.Host, seccomp.Options{NoENOSYS: r.Runtime == "crun"})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Config, err)
			}
			i = len(ref.variants)
			byKey[key] = i
			ref.variants = append(ref.variants, variant{stack: inspect.Stack{f.Program}})
		}
		ref.variants[i].arches = append(ref.variants[i].arches, a)
	}
	if len(ref.variants) == 1 {
		ref.variants[0].arches = nil
	}
	return &ref, nil
}

// has reports whether d is a system call of v's ABIs. Compare names a
// number by the first ABI compared of its audit value when the number
// belongs to another (x86_64's under x32's variant): that is the other
// variant's to report.
func (v variant) has(d inspect.Difference) bool {
	if !slices.Contains(v.arches, d.Arch) {
		return false
	}
	x, ok := arch.FromAuditNr(d.Arch.Audit(), d.Nr)
	return !ok || x == d.Arch
}

// compare compares live with each variant on its ABIs, into g.
func (ref *reference) compare(live inspect.Stack, g *Group) error {
	var st inspect.Stats
	for i, v := range ref.variants {
		o := inspect.CompareOptions{Arches: v.arches}
		if i == 0 {
			o.Arches = nil // and ABIs no filter knows
		}
		ds, s, err := inspect.Compare(live, v.stack, o)
		var np *inspect.NotProvenError
		if errors.As(err, &np) {
			if g.Unproven == "" {
				g.Unproven = np.Describe([2]string{"live", "config.json"})
			}
		} else if err != nil {
			return err
		}
		for _, d := range ds {
			if len(ref.variants) == 1 || d.Arch == arch.Invalid && i == 0 || v.has(d) {
				g.Differences = append(g.Differences, d)
			}
		}
		if i == 0 {
			st = s
		}
	}
	slices.SortStableFunc(g.Differences, func(a, b inspect.Difference) int {
		return cmp.Or(cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.Nr, b.Nr))
	})
	g.Same = len(g.Differences) == 0 && g.Unproven == ""
	g.Stats = &st
	return nil
}
