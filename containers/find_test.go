package containers

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
)

// TestLibseccompData holds the embedded list of the names libseccomp
// 2.5.4 lacks equal to the "added" lines of the arch package's list of
// differences with Debian 12's libseccomp, which the arch tests keep
// true against scmp_sys_resolver.
func TestLibseccompData(t *testing.T) {
	f, err := os.Open("../arch/testdata/libseccomp-2.5.4-differences.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := Lacks{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) != 5 || strings.HasPrefix(w[0], "#") || w[4] != "added" {
			continue
		}
		a, err := arch.Parse(w[0])
		if err != nil {
			t.Fatal(err)
		}
		if want[a] == nil {
			want[a] = map[string]bool{}
		}
		want[a][w[1]] = true
	}
	got, err := Libseccomp("2.5.4")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("libseccomp-2.5.4.txt differs from the added names of arch/testdata/libseccomp-2.5.4-differences.txt: regenerate it from there")
	}
	if !got[arch.X86_64]["mseal"] || got[arch.X86_64]["read"] {
		t.Errorf("libseccomp 2.5.4 lacks mseal on x86_64 and knows read")
	}
	if _, err := Libseccomp("9.9"); err == nil || !strings.Contains(err.Error(), "known: 2.5.4") {
		t.Errorf("Libseccomp(9.9): %v, want an error naming the known versions", err)
	}
}

// TestFind reads runc's and crun's state from roots laid out as they
// write them; the test process stands for a running init process.
func TestFind(t *testing.T) {
	dir := t.TempDir()
	self := os.Getpid()
	start, err := startTime(self)
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// runc 1.1: the start time a number, the bundle a label.
	write(dir+"/containerd/runc/k8s.io/web/state.json", fmt.Sprintf(`{"id":"web","init_process_pid":%d,"init_process_start":%d,"created":"2026-01-01T00:00:00Z","config":{"labels":["io.kubernetes.pod=x","bundle=/b/web"]}}`, self, start))
	// runc before 1.0: the start time a string; an ended init process.
	write(dir+"/containerd/runc/moby/old/state.json", fmt.Sprintf(`{"init_process_pid":%d,"init_process_start":"%d","config":{"labels":["bundle=/b/old"]}}`, self, start+1))
	write(dir+"/crun/db/status", fmt.Sprintf(`{"pid":%d,"process-start-time":%d,"cgroup-path":"/x","bundle":"/b/db","rootfs":"/b/db/rootfs"}`, self, start))
	write(dir+"/crun/notes/readme", "not a container")
	write(dir+"/crun/broken/status", `{"pid":1}`)

	cs, errs, err := Find([]string{dir + "/containerd/runc/*", dir + "/crun", dir + "/missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "broken/status: no bundle") {
		t.Errorf("errs = %v, want the one of broken/status", errs)
	}
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%s %s %s %s pid=%v running=%v", c.Runtime, strings.TrimPrefix(c.Root, dir), c.ID, c.Bundle, c.Pid == self, c.Running()))
	}
	want := []string{
		"runc /containerd/runc/k8s.io web /b/web pid=true running=true",
		"runc /containerd/runc/moby old /b/old pid=true running=false",
		"crun /crun db /b/db pid=true running=true",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Find:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	host, _ := arch.Native()
	if r := Check(cs[1], Options{Host: host}); r.Status != Stopped || r.Finding || r.Processes == nil {
		t.Errorf("Check of a container whose init ended: %s, finding %v, pids %v; want stopped, no finding, []", r.Status, r.Finding, r.Processes)
	}
	// A running container whose bundle has no config.json cannot be
	// vouched for.
	if r := Check(cs[0], Options{Host: host}); r.Status != Failed || !r.Finding || !strings.Contains(r.Error, "/b/web/config.json") {
		t.Errorf("Check of a container without config.json: %s, finding %v, %q; want error, finding, naming the file", r.Status, r.Finding, r.Error)
	}

	write(dir+"/bad/x/state.json", `{"init_process_pid":1,"init_process_start":1,"config":{"labels":[]}}`)
	if _, errs, _ := Find([]string{dir + "/bad"}); len(errs) != 1 || !strings.Contains(errs[0].Error(), "no bundle= label") {
		t.Errorf("a runc state without a bundle: %v", errs)
	}
}
