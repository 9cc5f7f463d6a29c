package bpf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SyntaxError is an error in assembler text, located by line.
type SyntaxError struct {
	File string // the file the text came from, or "" (AssembleFile)
	Line int    // 1-based
	Msg  string // what is wrong
	Err  error  // the underlying error, if any
}

func (e *SyntaxError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) // as every other located error
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// AssembleFile is Assemble of the text of the file name: its errors are
// *SyntaxError naming the file.
func AssembleFile(name, text string) (Program, error) {
	p, err := Assemble(text)
	if se, ok := err.(*SyntaxError); ok {
		se.File = name
	}
	return p, err
}

// Assemble reads a program in the syntax Disassemble prints, so that
// Assemble(Disassemble(p)) is p. Comments run from ';' to the end of the
// line, and a leading instruction index ("12:") is ignored. A line may
// start with labels ("name:"); a jump target is a label or an absolute
// instruction index. Mnemonics:
//
//	ld [k]  ldh [k]  ldb [k]  ld [x + k]  ldh [x + k]  ldb [x + k]
//	ld #k  ld #len  ld M[k]  ldx #k  ldx #len  ldx M[k]  ldxb 4*([k]&0xf)
//	st M[k]  stx M[k]  tax  txa
//	add sub mul div mod and or xor lsh rsh (#k or x)  neg
//	ja target
//	jeq jgt jge jset (#k or x), true target[, false target]
//	jne jle jlt (#k or x), true target[, false target]   (jeq, jgt, jge with the targets swapped)
//	ret #k  ret a  ret ACTION  ret ACTION(data)
//	raw code, jt, jf, k
//
// where ACTION is KILL_PROCESS, KILL_THREAD, TRAP, ERRNO, USER_NOTIF,
// TRACE, LOG or ALLOW, and a missing false target is the next instruction.
// Numbers are decimal, or hex with 0x. Assemble checks syntax and that
// jumps can be encoded (forward, at most 255 instructions for a
// conditional jump), not that the kernel would accept the program: use
// Validate for that. Errors are *SyntaxError.
func Assemble(text string) (Program, error) {
	type pending struct {
		line   int
		target string // label or index; "" for none
	}
	var (
		p       Program
		targets [][2]pending // per instruction: true (or ja) target, false target
		labels  = map[string]int{}
		lineOf  = map[string]int{}
	)
	for n, line := range strings.Split(text, "\n") {
		ln := n + 1
		if c := strings.IndexByte(line, ';'); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		if d := len(line) - len(strings.TrimLeft(line, "0123456789")); d > 0 && d < len(line) && line[d] == ':' {
			line = strings.TrimSpace(line[d+1:])
		}
		for {
			name, rest, ok := cutLabel(line)
			if !ok {
				break
			}
			if l, dup := lineOf[name]; dup {
				return nil, &SyntaxError{Line: ln, Msg: fmt.Sprintf("label %q already defined on line %d", name, l)}
			}
			labels[name], lineOf[name] = len(p), ln
			line = strings.TrimSpace(rest)
		}
		if line == "" {
			continue
		}
		ins, t, f, err := parseInsn(line)
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) {
				se.Line = ln
				return nil, se
			}
			return nil, &SyntaxError{Line: ln, Msg: err.Error(), Err: err}
		}
		p = append(p, ins)
		targets = append(targets, [2]pending{{ln, t}, {ln, f}})
	}
	if len(p) == 0 {
		return nil, &SyntaxError{Line: 1, Msg: "no instructions"}
	}
	for i := range p {
		ins := &p[i]
		if targets[i][0].target == "" && targets[i][1].target == "" {
			continue // not a jump, or raw
		}
		var off [2]uint64
		for j, pt := range targets[i] {
			if pt.target == "" {
				continue
			}
			var abs uint64
			if l, ok := labels[pt.target]; ok {
				if l >= len(p) {
					return nil, &SyntaxError{Line: pt.line, Msg: fmt.Sprintf("label %q names no instruction", pt.target)}
				}
				abs = uint64(l)
			} else if v, err := strconv.ParseUint(pt.target, 10, 64); err == nil {
				abs = v
			} else {
				return nil, &SyntaxError{Line: pt.line, Msg: fmt.Sprintf("undefined label %q", pt.target)}
			}
			if abs <= uint64(i) {
				return nil, &SyntaxError{Line: pt.line, Msg: fmt.Sprintf("jump to %s from instruction %d goes backward", pt.target, i)}
			}
			off[j] = abs - uint64(i) - 1
		}
		if isJA(ins.Op) {
			if off[0] > math.MaxUint32 {
				return nil, &SyntaxError{Line: targets[i][0].line, Msg: fmt.Sprintf("jump to %s is too far", targets[i][0].target)}
			}
			ins.K = uint32(off[0])
			continue
		}
		for j, o := range off {
			if o > 255 {
				return nil, &SyntaxError{Line: targets[i][j].line, Msg: fmt.Sprintf("jump to %s skips %d instructions, a conditional jump skips at most 255", targets[i][j].target, o)}
			}
		}
		if isCond(ins.Op) {
			ins.Jt, ins.Jf = uint8(off[0]), uint8(off[1])
		}
	}
	return p, nil
}

// cutLabel splits "name: rest".
func cutLabel(line string) (name, rest string, ok bool) {
	i := 0
	for i < len(line) && isIdent(line[i], i == 0) {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	rest = strings.TrimLeft(line[i:], " \t")
	if !strings.HasPrefix(rest, ":") {
		return "", "", false
	}
	return line[:i], rest[1:], true
}

func isIdent(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '.':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

// syntax returns a *SyntaxError without a line (Assemble adds it).
func syntax(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

var aluNames = map[string]uint16{
	"add": BPF_ADD, "sub": BPF_SUB, "mul": BPF_MUL, "div": BPF_DIV, "mod": BPF_MOD,
	"and": BPF_AND, "or": BPF_OR, "xor": BPF_XOR, "lsh": BPF_LSH, "rsh": BPF_RSH,
}

var jumpNames = map[string]struct {
	op      uint16
	swapped bool
}{
	"jeq": {BPF_JEQ, false}, "jgt": {BPF_JGT, false}, "jge": {BPF_JGE, false}, "jset": {BPF_JSET, false},
	"jne": {BPF_JEQ, true}, "jle": {BPF_JGT, true}, "jlt": {BPF_JGE, true},
}

// parseInsn parses one instruction. Jump targets are returned unresolved.
func parseInsn(line string) (ins Instruction, t, f string, err error) {
	mn, rest := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		mn, rest = line[:i], line[i+1:]
	}
	mn = strings.ToLower(mn)
	var args []string
	if rest = strings.TrimSpace(rest); rest != "" {
		for _, a := range strings.Split(rest, ",") {
			args = append(args, strings.Join(strings.Fields(a), ""))
		}
	}
	nargs := func(n ...int) error {
		for _, want := range n {
			if len(args) == want {
				return nil
			}
		}
		return syntax("%s takes %s, not %d", mn, plural(n), len(args))
	}
	if op, ok := aluNames[mn]; ok {
		if err := nargs(1); err != nil {
			return ins, "", "", err
		}
		if isX(args[0]) {
			return Instruction{Op: BPF_ALU | op | BPF_X}, "", "", nil
		}
		k, err := immediate(args[0])
		return Instruction{Op: BPF_ALU | op | BPF_K, K: k}, "", "", err
	}
	if j, ok := jumpNames[mn]; ok {
		if err := nargs(2, 3); err != nil {
			return ins, "", "", err
		}
		ins.Op = BPF_JMP | j.op | BPF_K
		if isX(args[0]) {
			ins.Op |= BPF_X
		} else if ins.K, err = immediate(args[0]); err != nil {
			return ins, "", "", err
		}
		t, f = args[1], ""
		if len(args) == 3 {
			f = args[2]
		}
		for _, s := range []string{t, f} {
			if s == "" && len(args) == 2 {
				continue
			}
			if err := checkTarget(s); err != nil {
				return ins, "", "", err
			}
		}
		if j.swapped {
			t, f = f, t
		}
		return ins, t, f, nil
	}
	switch mn {
	case "ld", "ldh", "ldb", "ldx", "st", "stx", "ldxb":
		if err := nargs(1); err != nil {
			return ins, "", "", err
		}
		ins, err = parseLoad(mn, args[0])
		return ins, "", "", err
	case "neg", "tax", "txa":
		if err := nargs(0); err != nil {
			return ins, "", "", err
		}
		ins.Op = map[string]uint16{"neg": BPF_ALU | BPF_NEG, "tax": BPF_MISC | BPF_TAX, "txa": BPF_MISC | BPF_TXA}[mn]
		return ins, "", "", nil
	case "ja", "jmp":
		if err := nargs(1); err != nil {
			return ins, "", "", err
		}
		if err := checkTarget(args[0]); err != nil {
			return ins, "", "", err
		}
		return Instruction{Op: BPF_JMP | BPF_JA}, args[0], "", nil
	case "ret":
		if err := nargs(1); err != nil {
			return ins, "", "", err
		}
		if strings.EqualFold(args[0], "a") {
			return Instruction{Op: BPF_RET | BPF_A}, "", "", nil
		}
		k, err := retValue(args[0])
		return Instruction{Op: BPF_RET | BPF_K, K: k}, "", "", err
	case "raw":
		if err := nargs(4); err != nil {
			return ins, "", "", err
		}
		var v [4]uint64
		for i, lim := range []uint64{math.MaxUint16, math.MaxUint8, math.MaxUint8, math.MaxUint32} {
			n, err := strconv.ParseUint(args[i], 0, 64)
			if err != nil || n > lim {
				return ins, "", "", syntax("raw: bad field %q (at most %#x)", args[i], lim)
			}
			v[i] = n
		}
		return Instruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])}, "", "", nil
	}
	return ins, "", "", syntax("unknown mnemonic %q", mn)
}

func plural(n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = fmt.Sprint(v)
	}
	noun := "operands"
	if len(n) == 1 && n[0] == 1 {
		noun = "operand"
	}
	return strings.Join(s, " or ") + " " + noun
}

func isX(s string) bool { return s == "x" || s == "X" }

// checkTarget checks the syntax of a jump target: a label or an index.
func checkTarget(s string) error {
	if s == "" {
		return syntax("missing jump target")
	}
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return nil
	}
	for i := 0; i < len(s); i++ {
		if !isIdent(s[i], i == 0) {
			return syntax("bad jump target %q", s)
		}
	}
	return nil
}

// parseLoad parses the operand of a load or store.
func parseLoad(mn, arg string) (Instruction, error) {
	lower := strings.ToLower(arg)
	bad := syntax("%s: bad operand %q", mn, arg)
	sizes := map[string]uint16{"ld": BPF_W, "ldh": BPF_H, "ldb": BPF_B}
	switch {
	case mn == "ldxb":
		// 4*([k]&0xf)
		s, ok := strings.CutPrefix(lower, "4*([")
		if !ok {
			return Instruction{}, bad
		}
		s, ok = strings.CutSuffix(s, "]&0xf)")
		if !ok {
			return Instruction{}, bad
		}
		k, err := number32(s)
		if err != nil {
			return Instruction{}, err
		}
		return Instruction{Op: BPF_LDX | BPF_B | BPF_MSH, K: k}, nil
	case lower == "#len":
		switch mn {
		case "ld":
			return Instruction{Op: BPF_LD | BPF_W | BPF_LEN}, nil
		case "ldx":
			return Instruction{Op: BPF_LDX | BPF_W | BPF_LEN}, nil
		}
	case strings.HasPrefix(lower, "#"):
		k, err := immediate(arg)
		switch mn {
		case "ld":
			return Instruction{Op: BPF_LD | BPF_IMM, K: k}, err
		case "ldx":
			return Instruction{Op: BPF_LDX | BPF_IMM, K: k}, err
		}
	case strings.HasPrefix(lower, "m[") && strings.HasSuffix(lower, "]"):
		k, err := number32(arg[2 : len(arg)-1])
		op, ok := map[string]uint16{"ld": BPF_LD | BPF_MEM, "ldx": BPF_LDX | BPF_MEM, "st": BPF_ST, "stx": BPF_STX}[mn]
		if ok {
			return Instruction{Op: op, K: k}, err
		}
	case strings.HasPrefix(lower, "[x+") && strings.HasSuffix(lower, "]"):
		k, err := number32(arg[3 : len(arg)-1])
		if sz, ok := sizes[mn]; ok {
			return Instruction{Op: BPF_LD | sz | BPF_IND, K: k}, err
		}
	case strings.HasPrefix(lower, "[") && strings.HasSuffix(lower, "]"):
		k, err := number32(arg[1 : len(arg)-1])
		if sz, ok := sizes[mn]; ok {
			return Instruction{Op: BPF_LD | sz | BPF_ABS, K: k}, err
		}
	}
	return Instruction{}, bad
}

// immediate parses "#k".
func immediate(s string) (uint32, error) {
	v, ok := strings.CutPrefix(s, "#")
	if !ok {
		return 0, syntax("want #constant or x, got %q", s)
	}
	return number32(v)
}

// number32 parses a 32-bit constant: decimal, 0x hex, 0o octal or 0b
// binary, or a negative decimal taken modulo 2^32.
func number32(s string) (uint32, error) {
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil || v < math.MinInt32 {
			return 0, syntax("bad number %q", s)
		}
		return uint32(int32(v)), nil
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, syntax("bad number %q (want a 32-bit unsigned constant)", s)
	}
	return uint32(v), nil
}

// retValue parses the operand of ret: #k, ACTION or ACTION(data).
func retValue(s string) (uint32, error) {
	if strings.HasPrefix(s, "#") {
		return immediate(s)
	}
	name, data, hasData := strings.Cut(s, "(")
	var d uint32
	if hasData {
		v, ok := strings.CutSuffix(data, ")")
		if !ok {
			return 0, syntax("ret: bad action %q", s)
		}
		n, err := strconv.ParseUint(v, 0, 16)
		if err != nil {
			return 0, syntax("ret: bad action data %q (want 0 to 65535)", v)
		}
		d = uint32(n)
	}
	for _, a := range actions {
		if strings.EqualFold(name, a.name) {
			return a.val | d, nil
		}
	}
	return 0, syntax("ret: unknown action %q", name)
}
