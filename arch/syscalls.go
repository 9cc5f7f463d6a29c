package arch

import (
	"iter"
	"maps"
	"slices"
	"sort"
	"sync"
)

// Syscall is one entry of an architecture's system-call table.
type Syscall struct {
	Name string
	Nr   uint32
}

type table struct {
	byNr   []Syscall // sorted by number, then name
	byName map[string]uint32
	max    uint32
}

var tables [numArch]struct {
	once sync.Once
	t    *table
}

func (a Arch) table() *table {
	in := a.info()
	slot := &tables[a]
	slot.once.Do(func() {
		raw := columns[in.column]
		t := &table{byNr: make([]Syscall, len(raw)), byName: make(map[string]uint32, len(raw))}
		for i, s := range raw {
			nr := s.Nr + in.nrBase
			if a == X32 {
				nr = s.Nr | X32SyscallBit
			}
			t.byNr[i] = Syscall{s.Name, nr}
			t.byName[s.Name] = nr
			if (in.privBase == 0 || nr < in.privBase) && nr > t.max {
				t.max = nr
			}
		}
		slot.t = t
	})
	return slot.t
}

// TableRelease names the Linux release the syscall tables were taken from.
func TableRelease() string { return tableRelease }

// Syscalls returns the system-call table of a, sorted by number. The
// caller may modify the returned slice.
func (a Arch) Syscalls() []Syscall { return append([]Syscall(nil), a.table().byNr...) }

// MinSyscall returns the lowest system-call number of a's table (the
// base of its numbers: 0, 4000 on mips o32, X32SyscallBit on x32).
func (a Arch) MinSyscall() uint32 {
	t := a.table().byNr
	if len(t) == 0 {
		return 0
	}
	return t[0].Nr
}

// SyscallsBetween yields the entries of a's table numbered lo to hi
// (inclusive), in order, without copying the table.
func (a Arch) SyscallsBetween(lo, hi uint32) iter.Seq[Syscall] {
	return func(yield func(Syscall) bool) {
		t := a.table().byNr
		for i := sort.Search(len(t), func(i int) bool { return t[i].Nr >= lo }); i < len(t) && t[i].Nr <= hi; i++ {
			if !yield(t[i]) {
				return
			}
		}
	}
}

// SyscallNumber returns the number of the system call name on a. A name
// that does not exist on a is reported absent; it is never guessed from
// another architecture.
func (a Arch) SyscallNumber(name string) (uint32, bool) {
	nr, ok := a.table().byName[name]
	return nr, ok
}

// SyscallName returns the name of system call nr on a.
func (a Arch) SyscallName(nr uint32) (string, bool) {
	t := a.table().byNr
	i := sort.Search(len(t), func(i int) bool { return t[i].Nr >= nr })
	if i < len(t) && t[i].Nr == nr {
		return t[i].Name, true
	}
	return "", false
}

// MaxSyscall returns the highest system-call number of a's main table:
// numbers above it do not exist on the kernel release of the tables. The
// ARM-private calls at 0x0f0000 and above are not counted.
func (a Arch) MaxSyscall() uint32 { return a.table().max }

// Names returns the names known on any architecture, sorted.
func Names() []string {
	seen := map[string]bool{}
	for _, col := range columns {
		for _, s := range col {
			seen[s.Name] = true
		}
	}
	out := slices.Sorted(maps.Keys(seen))
	return out
}
