package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Verdict is how the filters of a subject (a process, some of its
// threads, a dump) compare with the filters they should be.
type Verdict struct {
	Subject string `json:"subject"` // such as "the 2 filters of pid 42"
	Same    bool   `json:"same"`    // proven to decide every input alike
	// Unfiltered reports a subject without filters: nothing to compare,
	// every call differs.
	Unfiltered  bool         `json:"unfiltered,omitempty"`
	Unproven    string       `json:"unproven,omitempty"` // why the agreement cannot be proven (NotProvenError.Describe)
	Differences []Difference `json:"differences"`
	Stats       *Stats       `json:"compared,omitempty"`
	// Threads is how many threads Subject is; 0 for filters read from
	// files.
	Threads int `json:"-"`
	// Filters is how many filters Subject is, when it names them ("the
	// 2 filters of pid 42"); 0 when it names a file or a process.
	Filters int `json:"-"`
}

// Verify compares live, the filters of subject, with want (Compare),
// naming the sides "live" and "profile".
func Verify(subject string, live, want Stack) (Verdict, error) {
	c, err := compare(live, want, [2]string{"live", "profile"})
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Subject: subject, Same: c.Same, Unproven: c.Unproven, Differences: c.Differences, Stats: c.Stats}, nil
}

// WriteText writes v as a sentence, the filters it should be named ref;
// the differences follow, one line each (WriteDifferences).
func (v Verdict) WriteText(w io.Writer, ref string) {
	verb := "decides"
	if v.Filters > 1 {
		verb = "decide"
	}
	switch ds, np := v.Differences, v.Unproven; {
	case v.Unfiltered:
		// Every system call differs from a profile; one line says it.
		have := "has"
		if v.Threads > 1 {
			have = "have"
		}
		fmt.Fprintf(w, "%s %s no seccomp filter\n", v.Subject, have)
	case v.Same:
		fmt.Fprintf(w, "%s %s every system call as %s does (%d ABIs, %d numbers, %d inputs)\n",
			v.Subject, verb, ref, v.Stats.Arches, v.Stats.Syscalls, v.Stats.Inputs)
	case len(ds) == 0:
		fmt.Fprintf(w, "cannot prove that %s %s every system call as %s does: %s\n", v.Subject, verb, ref, np)
	default:
		fmt.Fprintf(w, "%s and %s differ on %d system call%s:\n", v.Subject, ref, len(ds), plural(len(ds)))
		WriteDifferences(w, ds, "live", "profile")
		if np != "" {
			fmt.Fprintf(w, "and they may differ on more: cannot prove the rest: %s\n", np)
		}
	}
}

// Verdicts are the verdicts of one subject's parts (VerifyTasks).
type Verdicts []Verdict

// Same reports whether every verdict is proven agreement.
func (vs Verdicts) Same() bool {
	return !slices.ContainsFunc(vs, func(v Verdict) bool { return !v.Same })
}

// WriteText writes each verdict (Verdict.WriteText), a blank line
// between them.
func (vs Verdicts) WriteText(w io.Writer, ref string) {
	for i, v := range vs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		v.WriteText(w, ref)
	}
}

// MarshalJSON writes one verdict as an object, several as an array.
func (vs Verdicts) MarshalJSON() ([]byte, error) {
	if len(vs) == 1 {
		return json.Marshal(vs[0])
	}
	return json.Marshal([]Verdict(vs))
}

// Comparison is what Diff found of two stacks.
type Comparison struct {
	Same        bool         `json:"same"`               // proven to decide every input alike
	Unproven    string       `json:"unproven,omitempty"` // why they cannot be proven alike
	Differences []Difference `json:"differences"`
	Stats       *Stats       `json:"compared"`
}

// Diff compares stacks a and b (Compare); what cannot be proven is
// described naming them A and B. Only an error of another kind than a
// NotProvenError is returned.
func Diff(a, b Stack) (Comparison, error) {
	return compare(a, b, [2]string{"A's", "B's"})
}

func compare(a, b Stack, names [2]string) (Comparison, error) {
	ds, st, err := Compare(a, b, CompareOptions{})
	c := Comparison{Differences: ds, Stats: &st}
	var np *NotProvenError
	if errors.As(err, &np) {
		c.Unproven = np.Describe(names)
	} else if err != nil {
		return Comparison{}, err
	}
	if c.Differences == nil {
		c.Differences = []Difference{}
	}
	c.Same = len(ds) == 0 && c.Unproven == ""
	return c, nil
}

// Caveat makes why, when not "", the reason that c cannot claim more
// than it proved (such as a comparison made for one environment only),
// unless it already has one.
func (c *Comparison) Caveat(why string) {
	if why != "" && c.Unproven == "" {
		c.Unproven, c.Same = why, false
	}
}

// WriteText writes where c's stacks differ, each line labelling them A
// and B, after two lines naming them; nothing when they are the same.
func (c Comparison) WriteText(w io.Writer, a, b string) {
	if c.Same {
		return
	}
	fmt.Fprintf(w, "A: %s\nB: %s\n", a, b)
	WriteDifferences(w, c.Differences, "A", "B")
	switch {
	case len(c.Differences) == 0:
		fmt.Fprintf(w, "cannot prove A and B equal: %s\n", c.Unproven)
	case c.Unproven != "":
		fmt.Fprintf(w, "and they may differ on more: cannot prove the rest: %s\n", c.Unproven)
	}
}

// VerifyTasks verifies the threads of process pid (DumpTasks) against
// want: one Verdict for each set of threads with the same filters
// (GroupTasks), and the errors of the threads whose filters could not be
// read.
func VerifyTasks(pid int, tasks []Task, want Stack) (Verdicts, []error, error) {
	groups, unread := GroupTasks(tasks)
	byThread := len(groups) > 1 || len(unread) > 0
	var out Verdicts
	for _, g := range groups {
		fs, tids := g.Filters, g.TIDs
		threads := fmt.Sprintf("%s of pid %d", threadsText(tids), pid)
		subject := fmt.Sprintf("the %d filter%s of pid %d", len(fs), plural(len(fs)), pid)
		switch {
		case len(fs) == 0 && byThread:
			subject = threads
		case len(fs) == 0:
			subject = fmt.Sprintf("pid %d", pid)
		case byThread:
			subject = fmt.Sprintf("the %d filter%s of %s", len(fs), plural(len(fs)), threads)
		}
		n := 1
		if byThread {
			n = len(tids)
		}
		if len(fs) == 0 {
			out = append(out, Verdict{Subject: subject, Unfiltered: true, Differences: []Difference{}, Threads: n})
			continue
		}
		v, err := Verify(subject, StackOf(fs), want)
		if err != nil {
			return nil, nil, err
		}
		v.Threads, v.Filters = n, len(fs)
		out = append(out, v)
	}
	return out, unread, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
