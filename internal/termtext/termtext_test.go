package termtext

import (
	"encoding/json"
	"testing"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":            "nginx",
		"/usr/bin/my prog": "/usr/bin/my prog",
		"évènement":        "évènement",
		"a\x1b[31mred":     `"a\x1b[31mred"`,
		"c1\u009bx":        `"c1\u009bx"`,
		"bidi\u202eevil":   `"bidi\u202eevil"`,
		"bad\xff":          `"bad\xff"`,
		`quote"`:           `"quote\""`,
		`back\slash`:       `"back\\slash"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	in := map[string]string{"comm": "a\u009bb\u202ec\U0001F600d\U000E0001"}
	b, _ := json.Marshal(in)
	got := string(JSON(b))
	want := `{"comm":"a\u009bb\u202ec` + "\U0001F600" + `d\udb40\udc01"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal([]byte(got), &back); err != nil || back["comm"] != in["comm"] {
		t.Errorf("does not read back the same: %q %v", back["comm"], err)
	}
}

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`u.service:3:1: SystemCallFilter= in [Install] is ignored`, `u.service:3:1: SystemCallFilter= in [Install] is ignored`},
		{`key "x" ok`, `key "x" ok`},
		{"a\x1b]0;pwn\x07b", `a\x1b]0;pwn\ab`},
		{"rtl\u202eoverride", `rtl\u202eoverride`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"c1\u009bx", `c1\u009bx`},
	} {
		if got := Line(c.in); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
