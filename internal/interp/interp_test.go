package interp

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "no-such-interpreter")
	script := write("script", "#!"+gone+" -x\necho hi\n")
	chained := write("chained", "#!"+script+"\n")
	fine := write("fine", "#!"+sh+"\necho hi\n")
	plain := write("plain", "echo hi\n")

	// An ELF file whose PT_INTERP is gone: a copy of a dynamically linked
	// program with its loader's path overwritten in place.
	elfMissing := ""
	if ld, _ := named(sh); ld != "" {
		self, err := os.ReadFile(sh)
		if err != nil {
			t.Fatal(err)
		}
		fake := "/nonexistent/ld.so"
		i := strings.Index(string(self), ld)
		if i < 0 || len(fake) > len(ld) {
			t.Fatalf("cannot rewrite the interpreter %s of %s", ld, sh)
		}
		b := append([]byte(nil), self...)
		copy(b[i:i+len(ld)], fake+strings.Repeat("\x00", len(ld)-len(fake)))
		elfMissing = write("elf", string(b))
	}

	tests := []struct {
		name, path, want string
	}{
		{"script", script, "its #! interpreter " + gone + " does not exist"},
		{"chain", chained, "its #! interpreter " + script + ", whose #! interpreter " + gone + " does not exist"},
		{"present", fine, ""},
		{"no interpreter", plain, ""},
		{"missing file", filepath.Join(dir, "nothing"), ""},
		{"static or present ELF", sh, ""},
	}
	if elfMissing != "" {
		tests = append(tests, struct{ name, path, want string }{"ELF", elfMissing, "its ELF interpreter /nonexistent/ld.so does not exist"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Missing(tc.path); got != tc.want {
				t.Errorf("Missing(%s) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	// What the kernel says of them: ENOENT, which Missing explains.
	for _, p := range []string{script, chained, elfMissing} {
		if p == "" {
			continue
		}
		err := exec.Command(p).Run()
		if err == nil || !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
			t.Errorf("exec %s: %v, want ENOENT", p, err)
		}
	}
}

func TestUnusable(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	text := write("text", "not a program\n", 0o644)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := write("not-exec", "#!"+text+"\n", 0o755)
	isDir := write("is-dir", "#!"+sub+" -x\n", 0o755)
	chained := write("chained", "#!"+notExec+"\n", 0o755)
	fine := write("fine", "#!"+sh+"\n", 0o755)
	self := write("self", "#!"+text+"\n", 0o644) // the script itself is the problem

	tests := []struct {
		name, path, want string
	}{
		{"not executable", notExec, "its #! interpreter " + text + " is not executable"},
		{"directory", isDir, "its #! interpreter " + sub + " is a directory"},
		{"chain", chained, "its #! interpreter " + notExec + ", whose #! interpreter " + text + " is not executable"},
		{"executable", fine, ""},
		{"the file itself", self, ""},
		{"missing file", filepath.Join(dir, "nothing"), ""},
		{"no interpreter", text, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unusable(tc.path); got != tc.want {
				t.Errorf("Unusable(%s) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	// What the kernel says of them: EACCES, which Unusable explains.
	for _, p := range []string{notExec, isDir, chained} {
		err := exec.Command(p).Run()
		if err == nil || !os.IsPermission(err) {
			t.Errorf("exec %s: %v, want EACCES", p, err)
		}
	}
}
