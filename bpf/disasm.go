package bpf

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// DisasmOptions tunes Disassemble.
type DisasmOptions struct {
	// Notes[i], if any, is printed as a comment on instruction i.
	Notes []string
	// NameSyscall names a constant compared (jeq) with the syscall number.
	NameSyscall func(nr uint32) (string, bool)
	// NameArch names a constant compared (jeq) with the arch field.
	NameArch func(arch uint32) (string, bool)
	// Order is the byte order of the target, used to tell the low and high
	// halves of the 64-bit fields apart in comments; nil leaves them
	// unnamed.
	Order binary.ByteOrder
}

// Disassemble prints p one instruction a line, in the syntax Assemble reads:
//
//	0: ld [4]                   ; arch
//	1: jeq #0xc000003e, 2, 5
//	2: ld [0]                   ; nr
//	3: jeq #59, 4, 5            ; execve
//	4: ret ERRNO(1)
//	5: ret ALLOW
//
// Jump targets are absolute instruction indexes. The return value of ret #k
// is printed as a seccomp action (ALLOW, ERRNO(1), ...) when it is one.
// Comments name the seccomp_data field a load reads, the syscall or
// architecture a jeq compares with, and the note of the instruction. An
// instruction that the mnemonic form cannot represent exactly (an unknown
// opcode, or a field the opcode ignores set nonzero) is printed raw, as
// "raw code, jt, jf, k", so that Assemble(Disassemble(p)) is always p.
func Disassemble(p Program, opts DisasmOptions) string {
	var sb strings.Builder
	state := loadState(len(p), p.at)
	for i, ins := range p {
		text := insnText(i, ins)
		var comments []string
		if ins.Op == BPF_LD|BPF_W|BPF_ABS && ins.Jt == 0 && ins.Jf == 0 {
			if f := fieldName(ins.K, opts.Order); f != "" {
				comments = append(comments, f)
			}
		}
		if ins.Op == BPF_JMP|BPF_JEQ|BPF_K {
			var name func(uint32) (string, bool)
			switch state[i] {
			case OffsetNr:
				name = opts.NameSyscall
			case OffsetArch:
				name = opts.NameArch
			}
			if name != nil {
				if s, ok := name(ins.K); ok && s != "" {
					comments = append(comments, s)
				}
			}
		}
		if i < len(opts.Notes) && opts.Notes[i] != "" {
			comments = append(comments, opts.Notes[i])
		}
		fmt.Fprintf(&sb, "%4d: ", i)
		if len(comments) == 0 {
			sb.WriteString(text)
		} else {
			c := strings.Join(comments, "; ")
			c = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(c)
			fmt.Fprintf(&sb, "%-24s ; %s", text, c)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// form is the operand syntax of an opcode.
type form int

const (
	formNone form = iota // tax, txa, neg
	formK                // #k
	formX                // x
	formAbs              // [k]
	formInd              // [x + k]
	formMem              // M[k]
	formLen              // #len
	formMsh              // 4*([k]&0xf)
	formJA               // target
	formJK               // #k, true, false
	formJX               // x, true, false
	formRetK             // action or #k
	formRetA             // a
)

type opInfo struct {
	name string
	form form
}

// opcodes lists every opcode classic BPF knows, with its syntax.
var opcodes = map[uint16]opInfo{
	BPF_LD | BPF_W | BPF_ABS:  {"ld", formAbs},
	BPF_LD | BPF_H | BPF_ABS:  {"ldh", formAbs},
	BPF_LD | BPF_B | BPF_ABS:  {"ldb", formAbs},
	BPF_LD | BPF_W | BPF_IND:  {"ld", formInd},
	BPF_LD | BPF_H | BPF_IND:  {"ldh", formInd},
	BPF_LD | BPF_B | BPF_IND:  {"ldb", formInd},
	BPF_LD | BPF_IMM:          {"ld", formK},
	BPF_LD | BPF_W | BPF_LEN:  {"ld", formLen},
	BPF_LD | BPF_MEM:          {"ld", formMem},
	BPF_LDX | BPF_IMM:         {"ldx", formK},
	BPF_LDX | BPF_W | BPF_LEN: {"ldx", formLen},
	BPF_LDX | BPF_MEM:         {"ldx", formMem},
	BPF_LDX | BPF_B | BPF_MSH: {"ldxb", formMsh},
	BPF_ST:                    {"st", formMem},
	BPF_STX:                   {"stx", formMem},

	BPF_ALU | BPF_ADD | BPF_K: {"add", formK},
	BPF_ALU | BPF_ADD | BPF_X: {"add", formX},
	BPF_ALU | BPF_SUB | BPF_K: {"sub", formK},
	BPF_ALU | BPF_SUB | BPF_X: {"sub", formX},
	BPF_ALU | BPF_MUL | BPF_K: {"mul", formK},
	BPF_ALU | BPF_MUL | BPF_X: {"mul", formX},
	BPF_ALU | BPF_DIV | BPF_K: {"div", formK},
	BPF_ALU | BPF_DIV | BPF_X: {"div", formX},
	BPF_ALU | BPF_MOD | BPF_K: {"mod", formK},
	BPF_ALU | BPF_MOD | BPF_X: {"mod", formX},
	BPF_ALU | BPF_AND | BPF_K: {"and", formK},
	BPF_ALU | BPF_AND | BPF_X: {"and", formX},
	BPF_ALU | BPF_OR | BPF_K:  {"or", formK},
	BPF_ALU | BPF_OR | BPF_X:  {"or", formX},
	BPF_ALU | BPF_XOR | BPF_K: {"xor", formK},
	BPF_ALU | BPF_XOR | BPF_X: {"xor", formX},
	BPF_ALU | BPF_LSH | BPF_K: {"lsh", formK},
	BPF_ALU | BPF_LSH | BPF_X: {"lsh", formX},
	BPF_ALU | BPF_RSH | BPF_K: {"rsh", formK},
	BPF_ALU | BPF_RSH | BPF_X: {"rsh", formX},
	BPF_ALU | BPF_NEG:         {"neg", formNone},

	BPF_MISC | BPF_TAX: {"tax", formNone},
	BPF_MISC | BPF_TXA: {"txa", formNone},

	BPF_JMP | BPF_JA:           {"ja", formJA},
	BPF_JMP | BPF_JEQ | BPF_K:  {"jeq", formJK},
	BPF_JMP | BPF_JEQ | BPF_X:  {"jeq", formJX},
	BPF_JMP | BPF_JGT | BPF_K:  {"jgt", formJK},
	BPF_JMP | BPF_JGT | BPF_X:  {"jgt", formJX},
	BPF_JMP | BPF_JGE | BPF_K:  {"jge", formJK},
	BPF_JMP | BPF_JGE | BPF_X:  {"jge", formJX},
	BPF_JMP | BPF_JSET | BPF_K: {"jset", formJK},
	BPF_JMP | BPF_JSET | BPF_X: {"jset", formJX},

	BPF_RET | BPF_K: {"ret", formRetK},
	BPF_RET | BPF_A: {"ret", formRetA},
}

// mnemonic describes an opcode for messages, such as "ldh [k]".
func mnemonic(op uint16) string {
	info, ok := opcodes[op]
	if !ok {
		return fmt.Sprintf("opcode %#x", op)
	}
	switch info.form {
	case formK, formJK, formRetK:
		return info.name + " #k"
	case formX, formJX:
		return info.name + " x"
	case formAbs:
		return info.name + " [k]"
	case formInd:
		return info.name + " [x + k]"
	case formMem:
		return info.name + " M[k]"
	case formLen:
		return info.name + " #len"
	case formMsh:
		return "ldxb 4*([k]&0xf)"
	case formRetA:
		return "ret a"
	}
	return info.name
}

// insnText prints instruction i in assembler syntax.
func insnText(i int, ins Instruction) string {
	raw := fmt.Sprintf("raw %#x, %d, %d, %#x", ins.Op, ins.Jt, ins.Jf, ins.K)
	info, ok := opcodes[ins.Op]
	if !ok {
		return raw
	}
	noJumps := ins.Jt == 0 && ins.Jf == 0
	k := ins.K
	switch info.form {
	case formNone, formX, formLen, formRetA:
		if k != 0 || !noJumps {
			return raw
		}
	case formJA:
		if !noJumps {
			return raw
		}
	case formJX:
		if k != 0 {
			return raw
		}
	case formJK:
	default:
		if !noJumps {
			return raw
		}
	}
	t, f := i+1+int(ins.Jt), i+1+int(ins.Jf)
	switch info.form {
	case formNone:
		return info.name
	case formK:
		return fmt.Sprintf("%s #%s", info.name, number(ins.Op, k))
	case formX:
		return info.name + " x"
	case formAbs:
		return fmt.Sprintf("%s [%d]", info.name, k)
	case formInd:
		return fmt.Sprintf("%s [x + %d]", info.name, k)
	case formMem:
		return fmt.Sprintf("%s M[%d]", info.name, k)
	case formLen:
		return info.name + " #len"
	case formMsh:
		return fmt.Sprintf("ldxb 4*([%d]&0xf)", k)
	case formJA:
		return fmt.Sprintf("ja %d", uint64(i)+1+uint64(k))
	case formJK:
		return fmt.Sprintf("%s #%s, %d, %d", info.name, number(ins.Op, k), t, f)
	case formJX:
		return fmt.Sprintf("%s x, %d, %d", info.name, t, f)
	case formRetK:
		if a, ok := actionText(k); ok {
			return "ret " + a
		}
		return fmt.Sprintf("ret #%#x", k)
	case formRetA:
		return "ret a"
	}
	return raw
}

// number prints a constant: in hex for bit operations and large values, in
// decimal otherwise.
func number(op uint16, k uint32) string {
	switch aluOp(op) {
	case BPF_AND, BPF_OR, BPF_XOR: // BPF_JSET is BPF_OR's code in the jump class
		if class(op) == BPF_ALU || aluOp(op) == BPF_JSET {
			return fmt.Sprintf("%#x", k)
		}
	}
	if k < 4096 {
		return fmt.Sprint(k)
	}
	return fmt.Sprintf("%#x", k)
}

// actions are the seccomp return actions, by the value of their
// SECCOMP_RET_ACTION_FULL bits.
var actions = []struct {
	name string
	val  uint32
}{
	{"KILL_PROCESS", retKillProcess},
	{"KILL_THREAD", retKillThread},
	{"TRAP", retTrap},
	{"ERRNO", retErrno},
	{"USER_NOTIF", retUserNotif},
	{"TRACE", retTrace},
	{"LOG", retLog},
	{"ALLOW", retAllow},
}

// actionText prints a seccomp return value: NAME, or NAME(data) when the
// data bits are set (always for ERRNO).
func actionText(k uint32) (string, bool) {
	for _, a := range actions {
		if k&retActionFull != a.val {
			continue
		}
		if data := k & retData; data != 0 || a.val == retErrno {
			return fmt.Sprintf("%s(%d)", a.name, data), true
		}
		return a.name, true
	}
	return "", false
}

// fieldName names the seccomp_data word at offset off.
func fieldName(off uint32, order binary.ByteOrder) string {
	if off%4 != 0 || off >= SeccompDataSize {
		return ""
	}
	switch off {
	case OffsetNr:
		return "nr"
	case OffsetArch:
		return "arch"
	}
	var field string
	if off < OffsetArgs {
		field = "instruction_pointer"
	} else {
		field = fmt.Sprintf("args[%d]", (off-OffsetArgs)/8)
	}
	second := off%8 == 4
	switch {
	case order == nil:
		if second {
			return field + " bytes 4-7"
		}
		return field + " bytes 0-3"
	case littleEndian(order) != second:
		return field + " low"
	default:
		return field + " high"
	}
}

func littleEndian(order binary.ByteOrder) bool {
	return order.Uint16([]byte{1, 0}) == 1
}
