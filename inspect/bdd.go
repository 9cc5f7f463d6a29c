package inspect

// A small reduced ordered binary decision diagram package over the 32 bits
// of one input word, used by the prover (prove.go) to state exactly which
// values of a word a filter's comparisons tell apart. Variable i is bit i
// of the word (the least significant bit is tested first), which keeps
// comparisons, masks, additions and multiplications by constants linear in
// size. Equal functions are equal references.

type bddRef int32

const (
	bddFalse bddRef = 0
	bddTrue  bddRef = 1
	bddVars         = 32 // the variable of the two terminals
)

type bddNode struct {
	v      int8
	lo, hi bddRef
}

type bddOp uint8

const (
	opAnd bddOp = iota
	opOr
	opXor
)

type bddKey struct {
	op   bddOp
	a, b bddRef
}

// errBDDSize is panicked (and recovered by the prover) when the diagrams
// grow beyond their budget.
type errBDDSize struct{}

type bdd struct {
	nodes  []bddNode
	unique map[bddNode]bddRef
	cache  map[bddKey]bddRef
	limit  int
}

func newBDD(limit int) *bdd {
	b := &bdd{unique: map[bddNode]bddRef{}, cache: map[bddKey]bddRef{}, limit: limit}
	b.nodes = append(b.nodes, bddNode{v: bddVars}, bddNode{v: bddVars})
	return b
}

func (b *bdd) mk(v int8, lo, hi bddRef) bddRef {
	if lo == hi {
		return lo
	}
	n := bddNode{v, lo, hi}
	if r, ok := b.unique[n]; ok {
		return r
	}
	if len(b.nodes) >= b.limit {
		panic(errBDDSize{})
	}
	r := bddRef(len(b.nodes))
	b.nodes = append(b.nodes, n)
	b.unique[n] = r
	return r
}

// variable returns the function "bit i is set".
func (b *bdd) variable(i int) bddRef { return b.mk(int8(i), bddFalse, bddTrue) }

func (b *bdd) apply(op bddOp, x, y bddRef) bddRef {
	if x <= bddTrue && y <= bddTrue {
		var r bool
		switch op {
		case opAnd:
			r = x == bddTrue && y == bddTrue
		case opOr:
			r = x == bddTrue || y == bddTrue
		case opXor:
			r = x != y
		}
		if r {
			return bddTrue
		}
		return bddFalse
	}
	switch op {
	case opAnd:
		switch {
		case x == bddFalse || y == bddFalse:
			return bddFalse
		case x == bddTrue || x == y:
			return y
		case y == bddTrue:
			return x
		}
	case opOr:
		switch {
		case x == bddTrue || y == bddTrue:
			return bddTrue
		case x == bddFalse || x == y:
			return y
		case y == bddFalse:
			return x
		}
	case opXor:
		switch {
		case x == y:
			return bddFalse
		case x == bddFalse:
			return y
		case y == bddFalse:
			return x
		}
	}
	if x > y {
		x, y = y, x
	}
	k := bddKey{op, x, y}
	if r, ok := b.cache[k]; ok {
		return r
	}
	nx, ny := b.nodes[x], b.nodes[y]
	v := min(nx.v, ny.v)
	xl, xh, yl, yh := x, x, y, y
	if nx.v == v {
		xl, xh = nx.lo, nx.hi
	}
	if ny.v == v {
		yl, yh = ny.lo, ny.hi
	}
	r := b.mk(v, b.apply(op, xl, yl), b.apply(op, xh, yh))
	b.cache[k] = r
	return r
}

func (b *bdd) and(x, y bddRef) bddRef { return b.apply(opAnd, x, y) }
func (b *bdd) or(x, y bddRef) bddRef  { return b.apply(opOr, x, y) }
func (b *bdd) xor(x, y bddRef) bddRef { return b.apply(opXor, x, y) }
func (b *bdd) not(x bddRef) bddRef    { return b.apply(opXor, x, bddTrue) }

// ite is "if c then t else e".
func (b *bdd) ite(c, t, e bddRef) bddRef { return b.or(b.and(c, t), b.and(b.not(c), e)) }

// eval returns f at value v.
func (b *bdd) eval(f bddRef, v uint32) bool {
	for f > bddTrue {
		n := b.nodes[f]
		if v>>uint(n.v)&1 != 0 {
			f = n.hi
		} else {
			f = n.lo
		}
	}
	return f == bddTrue
}

// restrict returns f with bit i fixed to val.
func (b *bdd) restrict(f bddRef, i int8, val bool, memo map[bddRef]bddRef) bddRef {
	if f <= bddTrue {
		return f
	}
	n := b.nodes[f]
	if n.v > i {
		return f
	}
	if n.v == i {
		if val {
			return n.hi
		}
		return n.lo
	}
	if r, ok := memo[f]; ok {
		return r
	}
	r := b.mk(n.v, b.restrict(n.lo, i, val, memo), b.restrict(n.hi, i, val, memo))
	memo[f] = r
	return r
}

// minValue returns the smallest value for which f holds; f must not be
// bddFalse.
func (b *bdd) minValue(f bddRef) uint32 {
	var v uint32
	for i := int8(31); i >= 0; i-- {
		if g := b.restrict(f, i, false, map[bddRef]bddRef{}); g != bddFalse {
			f = g
		} else {
			f = b.restrict(f, i, true, map[bddRef]bddRef{})
			v |= 1 << uint(i)
		}
	}
	return v
}

// vec is a 32-bit value, bit i as a function of the word's bits.
type vec [32]bddRef

func (b *bdd) constVec(k uint32) vec {
	var r vec
	for i := range r {
		if k>>uint(i)&1 != 0 {
			r[i] = bddTrue
		}
	}
	return r
}

func (b *bdd) identity() vec {
	var r vec
	for i := range r {
		r[i] = b.variable(i)
	}
	return r
}

// isConst reports whether x is a constant, and which.
func isConst(x vec) (uint32, bool) {
	var k uint32
	for i, r := range x {
		switch r {
		case bddTrue:
			k |= 1 << uint(i)
		case bddFalse:
		default:
			return 0, false
		}
	}
	return k, true
}

func (b *bdd) bitwise(op bddOp, x, y vec) vec {
	var r vec
	for i := range r {
		r[i] = b.apply(op, x[i], y[i])
	}
	return r
}

func (b *bdd) add(x, y vec, carry bddRef) vec {
	var r vec
	for i := range r {
		s := b.xor(x[i], y[i])
		r[i] = b.xor(s, carry)
		carry = b.or(b.and(x[i], y[i]), b.and(s, carry))
	}
	return r
}

func (b *bdd) notVec(x vec) vec {
	var r vec
	for i := range r {
		r[i] = b.not(x[i])
	}
	return r
}

func (b *bdd) sub(x, y vec) vec { return b.add(x, b.notVec(y), bddTrue) }
func (b *bdd) neg(x vec) vec    { return b.add(b.constVec(0), b.notVec(x), bddTrue) }

func shlConst(x vec, n uint) vec {
	var r vec
	for i := range r {
		if uint(i) >= n {
			r[i] = x[uint(i)-n]
		}
	}
	return r
}

func shrConst(x vec, n uint) vec {
	var r vec
	for i := range r {
		if uint(i)+n < 32 {
			r[i] = x[uint(i)+n]
		}
	}
	return r
}

func (b *bdd) mux(c bddRef, t, e vec) vec {
	var r vec
	for i := range r {
		r[i] = b.ite(c, t[i], e[i])
	}
	return r
}

// shift shifts x by the low five bits of y (the kernel's semantics).
func (b *bdd) shift(x, y vec, left bool) vec {
	for j := uint(0); j < 5; j++ {
		var s vec
		if left {
			s = shlConst(x, 1<<j)
		} else {
			s = shrConst(x, 1<<j)
		}
		x = b.mux(y[j], s, x)
	}
	return x
}

func (b *bdd) mul(x, y vec) vec {
	r := b.constVec(0)
	for j := range 32 {
		if y[j] == bddFalse {
			continue
		}
		s := shlConst(x, uint(j))
		if y[j] != bddTrue {
			s = b.mux(y[j], s, b.constVec(0))
		}
		r = b.add(r, s, bddFalse)
	}
	return r
}

// div is unsigned x / y by restoring division; y == 0 gives all ones (the
// filter has returned before, see the prover's predicate on y).
func (b *bdd) div(x, y vec) vec {
	var q vec
	r := b.constVec(0)
	for i := 31; i >= 0; i-- {
		over := r[31]
		r = shlConst(r, 1)
		r[0] = x[i]
		c := b.or(over, b.ge(r, y))
		r = b.mux(c, b.sub(r, y), r)
		q[i] = c
	}
	return q
}

func (b *bdd) eq(x, y vec) bddRef {
	r := bddTrue
	for i := range x {
		r = b.and(r, b.not(b.xor(x[i], y[i])))
	}
	return r
}

// gt is unsigned x > y.
func (b *bdd) gt(x, y vec) bddRef {
	g := bddFalse
	for i := range x {
		d := b.xor(x[i], y[i])
		g = b.or(b.and(d, x[i]), b.and(b.not(d), g))
	}
	return g
}

func (b *bdd) ge(x, y vec) bddRef { return b.not(b.gt(y, x)) }

func (b *bdd) jset(x, y vec) bddRef {
	r := bddFalse
	for i := range x {
		r = b.or(r, b.and(x[i], y[i]))
	}
	return r
}

// interval is lo <= v <= hi for the word itself.
func (b *bdd) interval(lo, hi uint32) bddRef {
	id := b.identity()
	return b.and(b.ge(id, b.constVec(lo)), b.ge(b.constVec(hi), id))
}
