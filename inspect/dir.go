package inspect

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/syscage/syscage/bpf"
	"github.com/syscage/syscage/internal/atomicfile"
)

// A dump directory holds the filters of a task as raw BPF files,
// filter-N.bpf, N being the filter's Index (0 the oldest): the kernel's
// struct sock_filter array in the byte order of the task's ABI, as
// seccomp(2) takes it.

// DirFile is the name of filter i's file in a dump directory.
func DirFile(i int) string { return fmt.Sprintf("filter-%d.bpf", i) }

// WriteDir writes fs to dir (made if missing), one file per filter, in
// byte order order, each atomically. It returns the paths written, in
// the order of fs.
func WriteDir(dir string, fs []Filter, order binary.ByteOrder) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range fs {
		path := filepath.Join(dir, DirFile(f.Index))
		if err := atomicfile.Write(path, f.Program.Encode(order)); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// ReadDir reads the filters of a dump directory, oldest first, each
// validated as a seccomp filter.
func ReadDir(dir string, order binary.ByteOrder) (Stack, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "filter-*.bpf"))
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no filter-N.bpf files (a directory written by 'syscage dump -o')", dir)
	}
	index := func(path string) int {
		s := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "filter-"), ".bpf")
		n, err := strconv.Atoi(s)
		if err != nil {
			return 1 << 30
		}
		return n
	}
	slices.SortStableFunc(files, func(a, b string) int { return index(a) - index(b) })
	var s Stack
	for _, f := range files {
		p, err := ReadBPF(f, order)
		if err != nil {
			return nil, err
		}
		s = append(s, p)
	}
	return s, nil
}

// IsCompiled reports whether path names compiled filters rather than a
// profile: a directory (a dump directory) or a file FILE.bpf.
func IsCompiled(path string) bool {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return true
	}
	return strings.HasSuffix(path, ".bpf")
}

// ReadStack reads the compiled filters path names (IsCompiled), in byte
// order order: a dump directory (ReadDir), else a raw BPF file (ReadBPF).
func ReadStack(path string, order binary.ByteOrder) (Stack, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return ReadDir(path, order)
	}
	p, err := ReadBPF(path, order)
	if err != nil {
		return nil, err
	}
	return Stack{p}, nil
}

// ReadBPF reads a raw BPF file in byte order order and checks it with
// the kernel's rules for seccomp filters.
func ReadBPF(path string, order binary.ByteOrder) (bpf.Program, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := bpf.Decode(data, order)
	if err != nil {
		return nil, fmt.Errorf("%s: not a seccomp BPF program: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: not a valid seccomp BPF program: %w", path, err)
	}
	return p, nil
}

// TaskGroup is threads of one process that have the same filters.
type TaskGroup struct {
	TIDs    []int
	Filters []Filter
}

// GroupTasks groups the threads whose filters were read by their
// filters (the same programs in the same order), in the order of their
// first thread; unread are the errors of the threads whose filters could
// not be read.
func GroupTasks(tasks []Task) (groups []TaskGroup, unread []error) {
	for _, t := range tasks {
		if t.Err != nil {
			unread = append(unread, t.Err)
			continue
		}
		i := slices.IndexFunc(groups, func(g TaskGroup) bool { return sameStack(g.Filters, t.Filters) })
		if i < 0 {
			groups = append(groups, TaskGroup{Filters: t.Filters})
			i = len(groups) - 1
		}
		groups[i].TIDs = append(groups[i].TIDs, t.TID)
	}
	return groups, unread
}

func sameStack(a, b []Filter) bool {
	return slices.EqualFunc(a, b, func(x, y Filter) bool { return slices.Equal(x.Program, y.Program) })
}
