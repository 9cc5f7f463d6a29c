package ruletree

import (
	"iter"
	"maps"
	"slices"
)

// dbSet holds the per-number databases of one ABI: indexed densely over
// the ABI's main range of numbers, in a map beyond it (arm's private
// calls), and allocated in slabs.
type dbSet struct {
	base  uint32
	dense []*sysDB // dense[nr-base]
	other map[uint32]*sysDB
	n     int // databases of real numbers
	slab  []sysDB
	work  *workBudget // shared by all databases
}

// newDBSet returns the set for an ABI whose main range of numbers is
// base..max, to hold about n databases.
func newDBSet(base, max uint32, n int) *dbSet {
	if max < base {
		max = base
	}
	size := int(max-base) + 1
	return &dbSet{base: base, dense: make([]*sysDB, size), slab: make([]sysDB, 0, min(n, size)+8), work: &workBudget{left: maxSteps}}
}

// get returns the database of nr, made when missing.
func (s *dbSet) get(nr uint32) *sysDB {
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
			s.other = make(map[uint32]*sysDB)
		}
		db = s.alloc()
		s.other[nr] = db
		s.n++
	}
	return db
}

// all yields the databases of real numbers in ascending order.
func (s *dbSet) all() iter.Seq2[uint32, *sysDB] {
	return func(yield func(uint32, *sysDB) bool) {
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

func (s *dbSet) alloc() *sysDB {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]sysDB, 0, 128)
	}
	s.slab = append(s.slab, sysDB{work: s.work})
	return &s.slab[len(s.slab)-1]
}
