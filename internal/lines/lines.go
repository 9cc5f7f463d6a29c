// Package lines reads text input line by line in bounded memory: a line
// longer than a limit is read to its end and dropped, never held, so no
// input (a file without a newline, a line of gigabytes) makes a reader
// grow without end. The log and trace readers of syscage use it.
package lines

import (
	"bufio"
	"errors"
	"io"
)

// Reader reads lines of at most Max bytes.
type Reader struct {
	br   *bufio.Reader
	max  int
	line int
	err  error
}

// NewReader returns a Reader of r whose lines are at most max bytes,
// without their newline.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, min(max+1, 64<<10)), max: max}
}

// Next returns the next line without its "\n". A line longer than the
// Reader's limit is read to its end and dropped: long is true and text
// is "". At the end of the input err is io.EOF; a read error ends the
// input too. Either is returned again by every later call.
func (r *Reader) Next() (text string, long bool, err error) {
	if r.err != nil {
		return "", false, r.err
	}
	var buf []byte
	for {
		frag, err := r.br.ReadSlice('\n')
		if !long {
			if len(buf)+len(frag) > r.max+1 || len(buf)+len(frag) == r.max+1 && frag[len(frag)-1] != '\n' {
				long, buf = true, nil
			} else {
				buf = append(buf, frag...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && (len(buf) > 0 || long):
			// The last line, without a newline.
			r.line++
			return string(buf), long, nil
		case err != nil:
			r.err = err
			return "", false, err
		}
		r.line++
		if long {
			return "", true, nil
		}
		return string(buf[:len(buf)-1]), false, nil
	}
}

// Line returns the 1-based number of the line the last Next returned.
func (r *Reader) Line() int { return r.line }
