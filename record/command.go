package record

import (
	"errors"
	"fmt"
	"strings"
)

// SplitCommand splits the command line s into words as a POSIX shell does for a simple
// command: blanks separate, single and double quotes group, a backslash
// escapes. Nothing is expanded.
func SplitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			// In double quotes a backslash escapes only $ ` " \ and a
			// newline, and stays before any other character; a
			// backslash-newline joins lines in and out of quotes.
			if quote == '"' && !strings.ContainsRune("$`\"\\\n", r) {
				cur.WriteRune('\\')
			}
			if r != '\n' {
				cur.WriteRune(r)
				in = true
			}
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				esc = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			esc = true
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if esc {
		return nil, errors.New("a backslash at the end")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
