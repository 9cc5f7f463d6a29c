package launch

import "fmt"

// Lines says what a launcher tells about how the program name ended,
// one line each: the seccomp events of its tree (Events, each on a line
// of its own indented by two spaces), and what ended it when seccomp did
// or may have. Nothing when it ended otherwise.
func (s Status) Lines(name string) []string {
	var out []string
	if n := len(s.Events); n > 0 {
		out = append(out, fmt.Sprintf("%s: %d seccomp event(s) in its tree:", name, n))
		for _, ev := range s.Events {
			out = append(out, "  "+ev.String())
		}
	}
	if s.Seccomp || s.Violation != nil {
		out = append(out, fmt.Sprintf("%s: %s", name, s))
	}
	return out
}
