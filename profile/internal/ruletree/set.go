package ruletree

import (
	"iter"
	"maps"
	"slices"
)

// Set holds the databases of the system calls of one ABI, which share one
// bound on their work: indexed densely over the ABI's main range of
// numbers, in a map beyond it (arm's private calls), and allocated in
// slabs.
type Set struct {
	base  uint32
	dense []*DB // dense[nr-base]
	other map[uint32]*DB
	n     int // databases of real numbers
	slab  []DB
	work  *workBudget // shared by all databases
}

// NewSet returns an empty set for an ABI whose main range of system-call
// numbers is base..max, sized for about n databases.
func NewSet(base, max uint32, n int) *Set {
	if max < base {
		max = base
	}
	size := int(max-base) + 1
	return &Set{base: base, dense: make([]*DB, size), slab: make([]DB, 0, min(n, size)+8), work: &workBudget{left: MaxSteps}}
}

// Add adds a rule to the database of system call nr (see DB.Add).
func (s *Set) Add(nr uint32, a Action, origin int, conds []Cond, wide bool) error {
	return s.get(nr).Add(a, origin, conds, wide)
}

// Other returns a new database outside the numbering, which shares the
// set's bound on work: the pseudo-syscall under which libseccomp files a
// rule for a name the ABI does not have (arch_filter_rule_add).
func (s *Set) Other() *DB { return s.alloc() }

// Len returns the number of databases of system-call numbers.
func (s *Set) Len() int { return s.n }

// get returns the database of nr, made when missing.
func (s *Set) get(nr uint32) *DB {
	if nr >= s.base && uint64(nr-s.base) < uint64(len(s.dense)) {
		db := s.dense[nr-s.base]
		if db == nil {
			db = s.alloc()
			s.dense[nr-s.base] = db
			s.n++
		}
		return db
	}
	db := s.other[nr]
	if db == nil {
		if s.other == nil {
			s.other = make(map[uint32]*DB)
		}
		db = s.alloc()
		s.other[nr] = db
		s.n++
	}
	return db
}

// All yields the databases of system-call numbers in ascending order.
func (s *Set) All() iter.Seq2[uint32, *DB] {
	return func(yield func(uint32, *DB) bool) {
		for i, db := range s.dense {
			if db != nil && !yield(s.base+uint32(i), db) {
				return
			}
		}
		nrs := slices.Sorted(maps.Keys(s.other))
		for _, nr := range nrs {
			if !yield(nr, s.other[nr]) {
				return
			}
		}
	}
}

func (s *Set) alloc() *DB {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]DB, 0, 128)
	}
	s.slab = append(s.slab, DB{work: s.work})
	return &s.slab[len(s.slab)-1]
}
