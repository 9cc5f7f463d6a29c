package formats

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/syscage/syscage/profile"
)

// Source opens the profiles a program is given by name, as its command
// line names them: a built-in name or a file (OpenWarn), or "-" for
// Stdin. Stdin is read once, the first time "-" is opened: every "-"
// means the same profile. The warnings of a profile go to Warn, once
// per name however often it is opened. A Source is safe for concurrent
// use.
type Source struct {
	Stdin io.Reader
	Warn  func(warning string) // nil: warnings are dropped

	mu        sync.Mutex
	stdinRead bool
	stdin     []byte
	stdinErr  error
	warned    map[string]bool
}

// Open reads the profile ref names, in format f or told from its content
// when f is "". Errors of the profile read from Stdin name it "<stdin>".
func (s *Source) Open(ref string, f Format) (*profile.Profile, Format, error) {
	var p *profile.Profile
	var warnings []string
	var err error
	if ref == "-" {
		p, f, warnings, err = s.openStdin(f)
	} else {
		p, f, warnings, err = OpenWarn(ref, f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Warn != nil && len(warnings) > 0 && !s.warned[ref] {
		if s.warned == nil {
			s.warned = map[string]bool{}
		}
		s.warned[ref] = true
		for _, w := range warnings {
			s.Warn(w)
		}
	}
	return p, f, err
}

func (s *Source) openStdin(f Format) (*profile.Profile, Format, []string, error) {
	s.mu.Lock()
	if !s.stdinRead {
		s.stdinRead = true
		if s.Stdin == nil {
			s.stdinErr = errors.New("no standard input")
		} else {
			s.stdin, s.stdinErr = io.ReadAll(s.Stdin)
		}
	}
	data, err := s.stdin, s.stdinErr
	s.mu.Unlock()
	if err != nil {
		return nil, "", nil, fmt.Errorf("read the profile from stdin: %w", err)
	}
	if len(data) == 0 {
		return nil, "", nil, errors.New("<stdin>: empty: the profile given as - is read from standard input")
	}
	return ParseWarn("<stdin>", data, f)
}
