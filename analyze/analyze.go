package analyze

import (
	"debug/elf"
	"encoding/json"

	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/syscage/syscage/arch"
)

// Options control Analyze.
type Options struct {
	// CacheDir holds library models by build ID; "" caches nothing.
	CacheDir string
	// LDCache is the loader's cache; "" means /etc/ld.so.cache.
	LDCache string
	// LibraryPath are directories searched for libraries first, as
	// LD_LIBRARY_PATH is, and for the dynamic loader (by its base name)
	// when its path is not there: the libraries of another
	// architecture (/usr/aarch64-linux-gnu/lib).
	LibraryPath []string
}

// ParseLibraryPath reads Options.LibraryPath from lists of directories
// separated as LD_LIBRARY_PATH separates them (DIR:DIR...), in order;
// empty entries are left out, as the loader leaves them out. An entry
// that is not a directory is an error.
func ParseLibraryPath(lists ...string) ([]string, error) {
	var out []string
	for _, l := range lists {
		for _, d := range filepath.SplitList(l) {
			if d == "" {
				continue
			}
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				return nil, fmt.Errorf("%s: not a directory", d)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// Call is one system call the program's code can make.
type Call struct {
	Arch arch.Arch `json:"-"`
	Name string    `json:"name"`
	Nr   uint32    `json:"nr"`
	// From says where: "PROGRAM:FUNCTION", "LIBRARY:EXPORT" (the call is
	// reachable from that export), or "vdso fallback".
	From string `json:"from"`
}

// Result is what Analyze found.
type Result struct {
	Path  string `json:"path"`
	Go    bool   `json:"go,omitempty"`
	Calls []Call `json:"calls"`
	// Libraries are the libraries analysed with the program, the
	// dynamic loader first.
	Libraries []string `json:"libraries,omitempty"`
	// Unresolved lists what the analysis could not follow: it may hide
	// more system calls.
	Unresolved []string `json:"unresolved,omitempty"`
}

// MarshalJSON writes the ABI by name.
func (c Call) MarshalJSON() ([]byte, error) {
	type call Call
	return json.Marshal(struct {
		ABI string `json:"abi"`
		call
	}{c.Arch.String(), call(c)})
}

// Text lists the calls as syscage analyze prints them: one
// "ABI<tab>name<tab>from" line each, in order.
func (r *Result) Text() string {
	var b strings.Builder
	for _, c := range r.Calls {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", c.Arch, c.Name, c.From)
	}
	return b.String()
}

// Names returns the names of the calls, sorted.
func (r *Result) Names() []string {
	var out []string
	for _, c := range r.Calls {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// vdsoFallbacks are the calls the vDSO's functions make when the vDSO
// cannot answer (a clock it does not handle, a time namespace): a program
// that uses the vDSO may make them with no SYSCALL of its own.
// getrandom: the vDSO's getrandom (Linux 6.11, used by Go's runtime and
// glibc 2.41) calls it itself when its state cannot serve.
var vdsoFallbacks = []string{"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres", "getrandom"}

// Analyze finds the system calls the ELF program at path can make, with
// the libraries it loads.
func Analyze(path string, o Options) (*Result, error) {
	prog, err := loadModule(path)
	if err != nil {
		return nil, err
	}
	a := arch.X86_64
	if prog.machine == elf.EM_AARCH64 {
		a = arch.AARCH64
	}
	res := &Result{Path: path, Go: prog.isGo}
	numbers := map[uint64]string{}
	add := func(r *Reach, where string) {
		for n, fn := range r.Numbers {
			if _, ok := numbers[n]; !ok {
				numbers[n] = where + ":" + fn
			}
		}
		mod, _, _ := strings.Cut(where, ":")
		for _, u := range r.Unresolved {
			res.Unresolved = append(res.Unresolved, mod+": "+u)
		}
	}
	var progReach *Reach
	if prog.isGo {
		// Go's linker keeps only what is reachable: all of it counts.
		var roots []uint64
		for _, f := range prog.funcs {
			roots = append(roots, f.start)
		}
		progReach = prog.reach(roots, nil)
	} else {
		roots := slices.Clone(prog.inits)
		if prog.inText(prog.entry) {
			roots = append(roots, prog.entry)
		}
		taken := prog.takenReach()
		progReach = prog.reach(roots, taken)
		if len(progReach.Imports) > 0 {
			// A library may call back any function whose address the
			// program takes (main through __libc_start_main, atexit,
			// qsort, pthread_create).
			progReach.merge(taken)
		}
	}
	base := filepath.Base(path)
	add(progReach, base)
	if prog.dynamic {
		if err := linkLibraries(prog, progReach, o, res, add); err != nil {
			return nil, err
		}
	} else if len(progReach.Imports) > 0 {
		res.Unresolved = append(res.Unresolved, "imports without a dynamic section")
	}
	fallbacks := vdsoFallbacks
	if a == arch.AARCH64 {
		// Where no SA_RESTORER is given (glibc and Go on arm64), a signal
		// handler returns through the vDSO's rt_sigreturn trampoline.
		fallbacks = append(slices.Clone(fallbacks), "rt_sigreturn")
	}
	for _, name := range fallbacks {
		if nr, ok := a.SyscallNumber(name); ok {
			if _, seen := numbers[uint64(nr)]; !seen {
				numbers[uint64(nr)] = "vdso fallback"
			}
		}
	}
	for n, from := range numbers {
		name, ok := a.SyscallName(uint32(n))
		if !ok || n > 0xffffffff {
			res.Unresolved = append(res.Unresolved, fmt.Sprintf("%s: system call number %d, which no table names", from, n))
			continue
		}
		res.Calls = append(res.Calls, Call{Arch: a, Name: name, Nr: uint32(n), From: from})
	}
	slices.SortFunc(res.Calls, func(x, y Call) int { return strings.Compare(x.Name, y.Name) })
	slices.Sort(res.Unresolved)
	res.Unresolved = slices.Compact(res.Unresolved)
	return res, nil
}

// linkLibraries adds what the program's imports reach in the libraries
// it needs, the loader, and the libraries' initializers.
func linkLibraries(prog *module, progReach *Reach, o Options, res *Result, add func(*Reach, string)) error {
	ldc := o.LDCache
	if ldc == "" {
		ldc = "/etc/ld.so.cache"
	}
	cache := ldCache(ldc)
	type lib struct {
		name  string
		model *Model
	}
	var libs []lib
	loaded := map[string]bool{}
	load := func(p string) (*Model, error) {
		return loadModel(p, o.CacheDir)
	}
	if prog.interp != "" {
		if _, err := os.Stat(prog.interp); err != nil {
			for _, d := range o.LibraryPath {
				if p := filepath.Join(d, filepath.Base(prog.interp)); fileExists(p) {
					prog.interp = p
					break
				}
			}
		}
		md, err := load(prog.interp)
		if err == nil && md.Machine != prog.machine.String() {
			err = fmt.Errorf("%s code, the program's is %s", md.Machine, prog.machine)
		}
		if err != nil {
			res.Unresolved = append(res.Unresolved, fmt.Sprintf("the dynamic loader %s: %v", prog.interp, err))
		} else {
			libs = append(libs, lib{filepath.Base(prog.interp), md})
			loaded[prog.interp] = true
			res.Libraries = append(res.Libraries, prog.interp)
		}
	}
	// The loader loads needed libraries breadth first.
	type pending struct {
		name string
		from *module
	}
	queue := []pending{}
	for _, n := range prog.needed {
		queue = append(queue, pending{n, prog})
	}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		p, ok := findLibrary(q.name, q.from, o.LibraryPath, cache, prog.machine)
		if !ok {
			res.Unresolved = append(res.Unresolved, fmt.Sprintf("library %s, needed by %s, not found", q.name, filepath.Base(q.from.path)))
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			real = p
		}
		if loaded[real] || loaded[p] {
			continue
		}
		loaded[real], loaded[p] = true, true
		md, m, err := loadModelAndModule(p, o.CacheDir)
		if err == nil && md.Machine != prog.machine.String() {
			err = fmt.Errorf("%s code, the program's is %s", md.Machine, prog.machine)
		}
		if err != nil {
			res.Unresolved = append(res.Unresolved, fmt.Sprintf("library %s: %v", p, err))
			continue
		}
		libs = append(libs, lib{q.name, md})
		res.Libraries = append(res.Libraries, p)
		if m != nil {
			for _, n := range m.needed {
				queue = append(queue, pending{n, m})
			}
		} else {
			for _, n := range md.needed() {
				queue = append(queue, pending{n, &module{path: p}})
			}
		}
	}
	// Resolve imports in the global scope: the loader first (it defines
	// a few), then the libraries in load order.
	lookup := func(name string) (*Reach, string, bool) {
		for _, l := range libs {
			if r, ok := l.model.Exports[name]; ok {
				return r, l.name, true
			}
		}
		return nil, "", false
	}
	for _, l := range libs {
		add(l.model.Init, l.name)
	}
	done := map[string]bool{}
	work := slices.Clone(progReach.Imports)
	for _, l := range libs {
		work = append(work, l.model.Init.Imports...)
	}
	dlopen := false
	for len(work) > 0 {
		ic := work[len(work)-1]
		work = work[:len(work)-1]
		key := fmt.Sprint(ic)
		if done[key] {
			continue
		}
		done[key] = true
		if ic.Name == "dlopen" || ic.Name == "dlmopen" {
			dlopen = true
		}
		r, where, ok := lookup(ic.Name)
		if !ok {
			if !strings.HasPrefix(ic.Name, "_ITM_") && !strings.HasPrefix(ic.Name, "__gmon_start__") && ic.Name != "__cxa_finalize" {
				res.Unresolved = append(res.Unresolved, fmt.Sprintf("imported function %s is in no library found", ic.Name))
			}
			continue
		}
		add(r, where+":"+ic.Name)
		if r.NumArg != "" {
			v := ic.RAX
			if r.NumArg == "rdi" {
				v = ic.RDI
			}
			if v == nil {
				res.Unresolved = append(res.Unresolved, fmt.Sprintf("a call to the system-call wrapper %s with a number computed at run time", ic.Name))
			}
			add(&Reach{Numbers: numbersOf(v, ic.Name+"()")}, where)
		}
		work = append(work, r.Imports...)
	}
	if dlopen {
		res.Unresolved = append(res.Unresolved, "the program calls dlopen: libraries it loads at run time are not analysed")
	}
	return nil
}

func numbersOf(v []uint64, where string) map[uint64]string {
	out := map[uint64]string{}
	for _, n := range v {
		out[n] = where
	}
	return out
}

// loadModel returns the model of the library at path, from the cache
// when its build ID is there.
func loadModel(path, cacheDir string) (*Model, error) {
	md, _, err := loadModelAndModule(path, cacheDir)
	return md, err
}

// modelVersion changes when the analysis changes what a model holds.
const modelVersion = "2"

// loadModelAndModule returns the model of the library at path, and the
// module when it had to be analysed (nil when the model came from the
// cache).
func loadModelAndModule(path, cacheDir string) (*Model, *module, error) {
	if cacheDir != "" {
		if id := fileBuildID(path); id != "" {
			if b, err := os.ReadFile(filepath.Join(cacheDir, id+".v"+modelVersion+".json")); err == nil {
				var md Model
				if json.Unmarshal(b, &md) == nil && md.BuildID == id && md.Init != nil {
					return &md, nil, nil
				}
			}
		}
	}
	m, err := loadModule(path)
	if err != nil {
		return nil, nil, err
	}
	md := m.model()
	md.Needed = m.needed
	if cacheDir != "" && m.buildID != "" {
		if b, err := json.Marshal(md); err == nil {
			if err := os.MkdirAll(cacheDir, 0o755); err == nil {
				// A temporary file of its own: commands that analyse the
				// same library at once each write a whole file.
				if f, err := os.CreateTemp(cacheDir, m.buildID+".*.tmp"); err == nil {
					_, werr := f.Write(b)
					if cerr := f.Close(); werr == nil && cerr == nil && os.Chmod(f.Name(), 0o644) == nil &&
						os.Rename(f.Name(), filepath.Join(cacheDir, m.buildID+".v"+modelVersion+".json")) == nil {
						return md, m, nil
					}
					_ = os.Remove(f.Name())
				}
			}
		}
	}
	return md, m, nil
}

func (md *Model) needed() []string { return md.Needed }

// fileBuildID reads the build ID of the ELF file at path, "" when it has
// none.
func fileBuildID(path string) string {
	m, err := openELF(path)
	if err != nil {
		return ""
	}
	defer m.Close()
	return buildID(m)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
