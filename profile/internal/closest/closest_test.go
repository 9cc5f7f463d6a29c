package closest

import "testing"

func TestName(t *testing.T) {
	known := []string{"defaultAction", "args", "@system-service", "@basic-io", "syscalls"}
	for _, c := range []struct{ key, want string }{
		{"defaultActon", "defaultAction"},     // one edit
		{"Args", "args"},                      // case
		{"DEFAULTACTION", "defaultAction"},    // case only, however far
		{"@system-servic", "@system-service"}, // one edit
		{"system-service", "@system-service"}, // the '@' forgotten
		{"@basic", "@basic-io"},               // a prefix
		{"syscall", "syscalls"},
		{"unrelated", ""},
		{"", ""},
		{string(make([]byte, 100)), ""}, // too long to measure
	} {
		if got := Name(c.key, known); got != c.want {
			t.Errorf("Name(%q) = %q, want %q", c.key, got, c.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"abc", "abc", 0},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
