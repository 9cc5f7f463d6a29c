package cli

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/profile/formats"
)

// stdinProfile is where a PROFILE argument "-" is read from: Main's
// standard input. It is read once; every "-" of a command means the
// same profile.
var stdinProfile struct {
	sync.Mutex
	r    io.Reader
	data []byte
	err  error
	read bool
}

// setStdin makes r the standard input "-" reads.
func setStdin(r io.Reader) {
	stdinProfile.Lock()
	defer stdinProfile.Unlock()
	stdinProfile.r, stdinProfile.data, stdinProfile.err, stdinProfile.read = r, nil, nil, false
}

// readStdinProfile reads the profile given as "-" from standard input,
// in any format (from, or told from its content). Errors name it
// "<stdin>" with the line.
func readStdinProfile(from formats.Format) (*profile.Profile, formats.Format, []string, error) {
	stdinProfile.Lock()
	if !stdinProfile.read {
		stdinProfile.read = true
		if stdinProfile.r == nil {
			stdinProfile.err = errors.New("no standard input")
		} else {
			stdinProfile.data, stdinProfile.err = io.ReadAll(stdinProfile.r)
		}
	}
	data, err := stdinProfile.data, stdinProfile.err
	stdinProfile.Unlock()
	if err != nil {
		return nil, "", nil, fmt.Errorf("read the profile from stdin: %w", err)
	}
	if len(data) == 0 {
		return nil, "", nil, errors.New("<stdin>: empty: the profile given as - is read from standard input")
	}
	return formats.ParseWarn("<stdin>", data, from)
}
