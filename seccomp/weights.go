package seccomp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ReadWeights reads the frequency table in the file path (ParseWeights);
// errors of its content name the file.
func ReadWeights(path string) (map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w, err := ParseWeights(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// ParseWeights reads a system-call frequency table for Options.Weights:
// one "name count" pair per line; blank lines and lines starting with #
// are ignored. Errors name the line.
func ParseWeights(r io.Reader) (map[string]float64, error) {
	w := map[string]float64{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Fields(s)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"name count\", got %q", line, s)
		}
		n, err := strconv.ParseFloat(f[1], 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("line %d: count %q is not a non-negative number", line, f[1])
		}
		w[f[0]] += n
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return w, nil
}
