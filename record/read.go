package record

import (
	"io"
	"os"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

// Reader reads an input into a recording (strace.Read; auditlog.Read
// with its filter): the lines it skipped, and an error of the input.
type Reader func(rec *Recording, name string, r io.Reader) (skipped []error, err error)

// ReadFiles reads each of files into r with read, "-" being stdin, and
// returns the lines skipped in all of them.
func (r *Recording) ReadFiles(files []string, stdin io.Reader, read Reader) ([]error, error) {
	var skipped []error
	for _, name := range files {
		in := stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return skipped, err
			}
			defer f.Close()
			in = f
		}
		s, err := read(r, name, in)
		skipped = append(skipped, s...)
		if err != nil {
			return skipped, err
		}
	}
	return skipped, nil
}

// Into returns the profile of r: known with what r adds to it (AddTo,
// for native) when known is not nil, else a new profile (Profile with o).
func (r *Recording) Into(known *profile.Profile, native arch.Arch, o ProfileOptions) (*profile.Profile, []Addition, error) {
	if known != nil {
		return r.AddTo(known, native)
	}
	return r.Profile(o), nil, nil
}
