package inspect

import (
	"errors"
	"fmt"
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
	ds, st, err := Compare(live, want, CompareOptions{})
	v := Verdict{Subject: subject, Differences: ds, Stats: &st}
	var np *NotProvenError
	if errors.As(err, &np) {
		v.Unproven = np.Describe([2]string{"live", "profile"})
	} else if err != nil {
		return Verdict{}, err
	}
	if v.Differences == nil {
		v.Differences = []Difference{}
	}
	v.Same = len(ds) == 0 && v.Unproven == ""
	return v, nil
}

// VerifyTasks verifies the threads of process pid (DumpTasks) against
// want: one Verdict for each set of threads with the same filters
// (GroupTasks), and the errors of the threads whose filters could not be
// read.
func VerifyTasks(pid int, tasks []Task, want Stack) ([]Verdict, []error, error) {
	groups, unread := GroupTasks(tasks)
	byThread := len(groups) > 1 || len(unread) > 0
	var out []Verdict
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
