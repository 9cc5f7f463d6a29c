// Package termtext makes text that programs chose (task names, paths,
// fields of log lines) safe to show on a terminal: no escape sequence,
// control character or bidirectional override reaches it raw.
package termtext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Quote returns a string a program chose (a task name set with
// PR_SET_NAME, an executable's path, a field of a log line) fit for a
// terminal: as it is when every character is printable and none is a
// quote or a backslash, else quoted as Go quotes strings, so that escape
// sequences, C1 controls, bidirectional overrides and bytes that are not
// UTF-8 are shown as \x1b, \u009b, \u202e and \xff, never sent raw.
func Quote(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || r == '"' || r == '\\' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// JSON escapes in encoding/json's output the characters it leaves raw
// that a terminal may act on: C1 controls (U+0080 to U+009F) and the
// other characters strconv.IsPrint refuses (bidirectional overrides,
// zero-width marks). They can only be inside strings, where \uXXXX means
// the same. (encoding/json already escapes the C0 controls and turns
// bytes that are not UTF-8 into U+FFFD.)
func JSON(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r < utf8.RuneSelf || strconv.IsPrint(r) || r == utf8.RuneError && n == 1 {
			out = append(out, b[i:i+n]...)
		} else if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, "\\u%04x\\u%04x", r1, r2)
		} else {
			out = fmt.Appendf(out, "\\u%04x", r)
		}
		i += n
	}
	return out
}

// Line returns a message that quotes text a program or a file chose
// (a warning naming a unit's key, a path) fit for a terminal: printable
// characters as they are, quotes included, and every other one escaped
// as Go escapes it in a quoted string (\x1b, \u202e, \xff).
func Line(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == utf8.RuneError || strconv.IsPrint(r) || r == '\t':
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}
