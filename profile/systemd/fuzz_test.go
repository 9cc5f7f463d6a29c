package systemd_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/profile/systemd"
)

// FuzzParse: no panic, a nil profile exactly when there is an error, a
// lossless Format of every parsed unit and a stable round trip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, file := range files {
		if strings.HasSuffix(file, ".golden") {
			continue
		}
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("[Service]\nSystemCallFilter=~@clock:EPERM read:kill\nSystemCallLog=~write\nSystemCallErrorNumber=kill\n"))
	f.Add([]byte("[Service]\nSystemCallFilter=\nSystemCallFilter=@default\nSystemCallArchitectures=native x32\n"))
	f.Add([]byte("SystemCallFilter=\n[Unit]\nSystemCallFilter=\n[Service]\nSystemCallFilter=read \\\n# c\n write\n[X-A]\nSystemCallFilter=\n[Install]\nSystemCallFilter=\n"))
	f.Add([]byte("[Socket]\nSystemCallFilter=read\n[Swap]\nSystemCallLog=write\n[service]\nSystemCallFilter=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := systemd.Parse("fuzz", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned %v and %v", p, err)
		}
		if err != nil {
			return
		}
		out, losses, err := systemd.Format(p, systemd.Options{Lossy: true})
		if err != nil {
			t.Fatalf("Format of a parsed unit: %v", err)
		}
		q, err := systemd.Parse("formatted", out)
		if err != nil {
			t.Fatalf("Parse(Format(p)): %v\n%s", err, out)
		}
		if len(losses) == 0 && !reflect.DeepEqual(p, q) {
			t.Fatalf("Parse(Format(p)) != p:\n%+v\n%+v\n%s", p, q, out)
		}
		again, _, _ := systemd.Format(q, systemd.Options{Lossy: true})
		if len(losses) == 0 && string(again) != string(out) {
			t.Fatal("Format is not stable")
		}
	})
}
