package analyze

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	"golang.org/x/arch/x86/x86asm"
)

// module is one ELF file: a program or a library, its code cut into
// functions.
type module struct {
	path    string
	machine elf.Machine // EM_X86_64 or EM_AARCH64
	buildID string
	entry   uint64
	isGo    bool
	dynamic bool // it has a dynamic section: imports, needed libraries
	interp  string
	needed  []string
	runpath []string
	rpath   []string

	text           []byte
	textLo, textHi uint64

	funcs   []*function // sorted by start
	exports map[string]uint64
	slots   map[uint64]string // GOT slot -> imported symbol
	stubs   map[uint64]string // PLT stub -> imported symbol
	taken   map[uint64]bool   // functions whose address is taken
	inits   []uint64
	ifuncs  map[uint64]bool
}

// function is one function of a module and what its code does.
type function struct {
	start, end uint64
	name       string
	fnResult
}

// ErrNotAnalysable reports a file the analysis cannot read: not ELF, or
// an architecture or form it does not handle.
var ErrNotAnalysable = errors.New("cannot be analysed")

// loadModule reads and analyses the ELF file at path.
func loadModule(path string) (*module, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotAnalysable, err)
	}
	defer f.Close()
	if (f.Machine != elf.EM_X86_64 && f.Machine != elf.EM_AARCH64) || f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("%s: %w: %s %s code (the analysis reads x86_64 and aarch64 code)", path, ErrNotAnalysable, f.Class, f.Machine)
	}
	m := &module{path: path, machine: f.Machine, entry: f.Entry, exports: map[string]uint64{}, slots: map[uint64]string{},
		stubs: map[uint64]string{}, taken: map[uint64]bool{}, ifuncs: map[uint64]bool{}}
	m.buildID = buildID(f)
	text := f.Section(".text")
	if text == nil || text.Type != elf.SHT_PROGBITS {
		return nil, fmt.Errorf("%s: %w: no .text section", path, ErrNotAnalysable)
	}
	if m.text, err = text.Data(); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotAnalysable, err)
	}
	m.textLo, m.textHi = text.Addr, text.Addr+uint64(len(m.text))
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				m.interp = string(bytes.TrimRight(b, "\x00"))
			}
		}
		if p.Type == elf.PT_DYNAMIC {
			m.dynamic = true
		}
	}
	m.isGo = f.Section(".gopclntab") != nil || f.Section(".go.buildinfo") != nil
	if m.dynamic {
		m.needed, _ = f.DynString(elf.DT_NEEDED)
		m.runpath, _ = f.DynString(elf.DT_RUNPATH)
		m.rpath, _ = f.DynString(elf.DT_RPATH)
		m.readRelocs(f)
	}
	starts := map[uint64]string{}
	addSym := func(s elf.Symbol, export bool) {
		t := elf.ST_TYPE(s.Info)
		if (t != elf.STT_FUNC && t != elf.STT_GNU_IFUNC) || s.Section == elf.SHN_UNDEF || !m.inText(s.Value) {
			return
		}
		if _, ok := starts[s.Value]; !ok || export {
			starts[s.Value] = s.Name
		}
		if t == elf.STT_GNU_IFUNC {
			m.ifuncs[s.Value] = true
		}
		if export && elf.ST_BIND(s.Info) != elf.STB_LOCAL {
			m.exports[s.Name] = s.Value
		}
	}
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			addSym(s, false)
		}
	}
	if syms, err := f.DynamicSymbols(); err == nil {
		for _, s := range syms {
			addSym(s, true)
		}
	}
	pclntab := false
	if m.isGo {
		err := m.goFuncs(f, starts)
		if err != nil && len(starts) == 0 {
			return nil, fmt.Errorf("%s: %w: a Go program without symbols or a readable pclntab: %v", path, ErrNotAnalysable, err)
		}
		pclntab = err == nil
	}
	m.readInits(f)
	if f.Type == elf.ET_EXEC {
		// At a fixed address: data holds text addresses as they are
		// (a position-independent file has relocations for them).
		m.scanData(f)
	}
	if m.inText(m.entry) {
		if _, ok := starts[m.entry]; !ok {
			starts[m.entry] = "(entry)"
		}
	}
	for _, a := range m.inits {
		if _, ok := starts[a]; !ok {
			starts[a] = "(initializer)"
		}
	}
	// Every direct call target and every address taken starts a function.
	if m.machine == elf.EM_AARCH64 {
		m.sweepARM64(starts)
	} else {
		m.sweep(starts)
	}
	if m.machine == elf.EM_AARCH64 {
		// arm64 instructions are 4-byte aligned: a word of data that
		// points elsewhere into the text is no function.
		for a := range m.taken {
			if a%4 != 0 {
				delete(m.taken, a)
			}
		}
		for a := range starts {
			if a%4 != 0 {
				delete(starts, a)
			}
		}
	}
	for a := range m.taken {
		if _, ok := starts[a]; !ok && !pclntab {
			// (The pclntab names every function of a Go program: a text
			// address in its data that is none is inside one.)
			starts[a] = ""
		}
	}
	addrs := slices.Sorted(maps.Keys(starts))
	if len(addrs) == 0 || addrs[0] > m.textLo {
		addrs = slices.Insert(addrs, 0, m.textLo)
	}
	env := x86Env{inText: m.inText, importAt: m.importAt, stubAt: m.stubAt,
		noReturn: func(a uint64) bool { return noReturnName(starts[a]) }}
	for i, a := range addrs {
		end := m.textHi
		if i+1 < len(addrs) {
			end = addrs[i+1]
		}
		fn := &function{start: a, end: end, name: starts[a]}
		if fn.name == "" {
			fn.name = fmt.Sprintf("%#x", a)
		}
		if m.machine == elf.EM_AARCH64 {
			fn.fnResult = analyzeARM64(m.text[a-m.textLo:end-m.textLo], a, end, env)
		} else {
			fn.fnResult = analyzeX86(m.text[a-m.textLo:end-m.textLo], a, end, env)
		}
		for _, t := range fn.taken {
			m.taken[t] = true
		}
		m.funcs = append(m.funcs, fn)
	}
	m.resolveWrappers()
	return m, nil
}

func (m *module) inText(a uint64) bool { return a >= m.textLo && a < m.textHi }

func (m *module) importAt(slot uint64) (string, bool) {
	n, ok := m.slots[slot]
	return n, ok
}

func (m *module) stubAt(a uint64) (string, bool) {
	n, ok := m.stubs[a]
	return n, ok
}

// funcAt returns the function holding address a.
func (m *module) funcAt(a uint64) *function {
	i := sort.Search(len(m.funcs), func(i int) bool { return m.funcs[i].end > a })
	if i < len(m.funcs) && m.funcs[i].start <= a {
		return m.funcs[i]
	}
	return nil
}

func openELF(path string) (*elf.File, error) { return elf.Open(path) }

func buildID(f *elf.File) string {
	s := f.Section(".note.gnu.build-id")
	if s == nil {
		return ""
	}
	b, err := s.Data()
	if err != nil || len(b) < 16 {
		return ""
	}
	namesz := binary.LittleEndian.Uint32(b[0:])
	descsz := binary.LittleEndian.Uint32(b[4:])
	off := 12 + (namesz+3)&^3
	if uint64(off)+uint64(descsz) > uint64(len(b)) {
		return ""
	}
	return hex.EncodeToString(b[off : off+descsz])
}

// readRelocs maps GOT slots to the symbols they import, PLT stubs to
// their slots' symbols, and notes the text addresses data points at.
func (m *module) readRelocs(f *elf.File) {
	dsyms, _ := f.DynamicSymbols()
	for _, s := range f.Sections {
		if s.Type != elf.SHT_RELA {
			continue
		}
		b, err := s.Data()
		if err != nil {
			continue
		}
		for off := 0; off+24 <= len(b); off += 24 {
			r := elf.Rela64{Off: binary.LittleEndian.Uint64(b[off:]), Info: binary.LittleEndian.Uint64(b[off+8:]), Addend: int64(binary.LittleEndian.Uint64(b[off+16:]))}
			sym := int(elf.R_SYM64(r.Info))
			switch relocKind(f.Machine, elf.R_TYPE64(r.Info)) {
			case relocSymbol:
				if sym > 0 && sym <= len(dsyms) {
					ds := dsyms[sym-1]
					if ds.Section == elf.SHN_UNDEF {
						m.slots[r.Off] = ds.Name
					} else if m.inText(ds.Value) {
						m.taken[ds.Value] = true
					}
				}
			case relocRelative:
				if a := uint64(r.Addend); m.inText(a) {
					m.taken[a] = true
				}
			}
		}
	}
	if f.Machine == elf.EM_AARCH64 {
		m.readPLTARM64(f)
		return
	}
	for _, name := range []string{".plt", ".plt.sec", ".plt.got"} {
		s := f.Section(name)
		if s == nil {
			continue
		}
		b, err := s.Data()
		if err != nil {
			continue
		}
		for off := 0; off < len(b); {
			in, err := x86asm.Decode(b[off:], 64)
			if err != nil || in.Len == 0 {
				off++
				continue
			}
			pc := s.Addr + uint64(off)
			if in.Op == x86asm.JMP {
				if mem, ok := in.Args[0].(x86asm.Mem); ok && mem.Base == x86asm.RIP {
					slot := uint64(int64(pc) + int64(in.Len) + mem.Disp)
					if n, ok := m.slots[slot]; ok {
						m.stubs[s.Addr+uint64(off)&^15] = n
					}
				}
			}
			off += in.Len
		}
	}
}

// readInits notes the initializers the loader runs.
func (m *module) readInits(f *elf.File) {
	for _, tag := range []elf.DynTag{elf.DT_INIT, elf.DT_FINI} {
		if v, err := f.DynValue(tag); err == nil {
			for _, a := range v {
				if m.inText(a) {
					m.inits = append(m.inits, a)
				}
			}
		}
	}
	for _, name := range []string{".preinit_array", ".init_array", ".fini_array"} {
		s := f.Section(name)
		if s == nil || s.Type == elf.SHT_NOBITS {
			continue
		}
		b, _ := s.Data()
		for off := 0; off+8 <= len(b); off += 8 {
			if a := binary.LittleEndian.Uint64(b[off:]); m.inText(a) {
				m.inits = append(m.inits, a)
			}
		}
	}
}

// scanData takes every 8-byte word of the data sections that points
// into the text as a function whose address is taken (a program that is
// not position independent has no relocations to tell them).
func (m *module) scanData(f *elf.File) {
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_EXECINSTR != 0 || s.Type != elf.SHT_PROGBITS {
			continue
		}
		b, err := s.Data()
		if err != nil {
			continue
		}
		for off := (8 - s.Addr%8) % 8; off+8 <= uint64(len(b)); off += 8 {
			if a := binary.LittleEndian.Uint64(b[off:]); m.inText(a) {
				m.taken[a] = true
			}
		}
	}
}

// sweep decodes the whole text once and adds every direct call target,
// and every text address an instruction loads, to starts.
func (m *module) sweep(starts map[uint64]string) {
	for off := 0; off < len(m.text); {
		in, err := x86asm.Decode(m.text[off:], 64)
		if err != nil || in.Len == 0 {
			off++
			continue
		}
		pc := m.textLo + uint64(off)
		next := pc + uint64(in.Len)
		if in.Op == x86asm.CALL {
			if rel, ok := in.Args[0].(x86asm.Rel); ok {
				if t := uint64(int64(next) + int64(rel)); m.inText(t) {
					if _, ok := starts[t]; !ok {
						starts[t] = ""
					}
				}
			}
		}
		for _, a := range in.Args {
			switch a := a.(type) {
			case x86asm.Mem:
				if in.Op == x86asm.LEA && a.Base == x86asm.RIP {
					if t := uint64(int64(next) + a.Disp); m.inText(t) {
						m.taken[t] = true
					}
				}
			case x86asm.Imm:
				if t := uint64(a); in.Op == x86asm.MOV && m.inText(t) && !m.dynamic {
					m.taken[t] = true // an absolute address, in a program at a fixed address
				}
			}
		}
		off += in.Len
	}
}

// goFuncs adds the functions the pclntab of a Go program names.
func (m *module) goFuncs(f *elf.File, starts map[uint64]string) error {
	s := f.Section(".gopclntab")
	if s == nil {
		return errors.New("no .gopclntab")
	}
	b, err := s.Data()
	if err != nil {
		return err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(b, m.textLo))
	if err != nil {
		return err
	}
	for _, fn := range tab.Funcs {
		if m.inText(fn.Entry) {
			starts[fn.Entry] = fn.Name
		}
	}
	return nil
}
