package analyze

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The dynamic loader's search, as ld.so(8) describes it for a library
// named without a slash: DT_RPATH of the loading object (when it has no
// DT_RUNPATH), LD_LIBRARY_PATH (not used: it is the environment of a run,
// not of the program), DT_RUNPATH, /etc/ld.so.cache, then the default
// directories.

// defaultDirs are the loader's trusted directories on x86_64 Debian.
var defaultDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// ldCache reads /etc/ld.so.cache (the "glibc-ld.so.cache1.1" format
// ldconfig writes) into a map from library name to path, the first
// entry for a name winning as in the loader.
func ldCache(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	const magic = "glibc-ld.so.cache1.1"
	i := bytes.Index(b, []byte(magic))
	if i < 0 {
		return out
	}
	hdr := b[i:]
	if len(hdr) < 48 {
		return out
	}
	n := int(binary.LittleEndian.Uint32(hdr[20:]))
	const entry = 24
	base := 48
	for k := 0; k < n; k++ {
		off := base + k*entry
		if off+entry > len(hdr) {
			break
		}
		// Only x86_64's own libraries (FLAG_X8664_LIB64), not x32's or
		// i386's, which the cache lists under the same names.
		if flags := binary.LittleEndian.Uint32(hdr[off:]); flags&0xff00 != 0x0300 {
			continue
		}
		key := int(binary.LittleEndian.Uint32(hdr[off+4:]))
		val := int(binary.LittleEndian.Uint32(hdr[off+8:]))
		name, p := cString(hdr, key), cString(hdr, val)
		if name == "" || p == "" {
			continue
		}
		if _, ok := out[name]; !ok {
			out[name] = p
		}
	}
	return out
}

func cString(b []byte, off int) string {
	if off <= 0 || off >= len(b) {
		return ""
	}
	end := bytes.IndexByte(b[off:], 0)
	if end < 0 {
		return ""
	}
	return string(b[off : off+end])
}

// findLibrary returns the path the loader would take for needed,
// loaded by the object at from (with its RPATH and RUNPATH).
func findLibrary(needed string, from *module, libraryPath []string, cache map[string]string, mach elf.Machine) (string, bool) {
	if strings.Contains(needed, "/") {
		_, err := os.Stat(needed)
		return needed, err == nil
	}
	origin := filepath.Dir(from.path)
	expand := func(dirs []string) []string {
		var out []string
		for _, d := range dirs {
			for _, p := range strings.Split(d, ":") {
				p = strings.ReplaceAll(strings.ReplaceAll(p, "${ORIGIN}", origin), "$ORIGIN", origin)
				if p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	// The loader skips a file of another architecture and goes on.
	fits := func(p string) bool {
		f, err := elf.Open(p)
		if err != nil {
			return false
		}
		defer f.Close()
		return f.Machine == mach && f.Class == elf.ELFCLASS64
	}
	dirs := slices.Clone(libraryPath)
	if len(from.runpath) == 0 {
		dirs = append(dirs, expand(from.rpath)...)
	}
	dirs = append(dirs, expand(from.runpath)...)
	for _, d := range dirs {
		p := filepath.Join(d, needed)
		if fits(p) {
			return p, true
		}
	}
	if p, ok := cache[needed]; ok && fits(p) {
		return p, true
	}
	for _, d := range defaultDirs {
		p := filepath.Join(d, needed)
		if fits(p) {
			return p, true
		}
	}
	return "", false
}
