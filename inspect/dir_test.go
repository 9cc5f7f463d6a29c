package inspect

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syscage/syscage/bpf"
)

func prog(t *testing.T, text string) bpf.Program {
	t.Helper()
	p, err := bpf.Assemble(text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDirRoundTrip(t *testing.T) {
	allow := prog(t, "ret #0x7fff0000\n")
	deny := prog(t, "ld [0]\njeq #59, kill, ok\nkill: ret #0\nok: ret #0x7fff0000\n")
	// Eleven filters: the order is numeric (filter-10 after filter-9).
	var fs []Filter
	for i := range 11 {
		p := allow
		if i%2 == 1 {
			p = deny
		}
		fs = append(fs, Filter{Index: i, Program: p})
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		dir := filepath.Join(t.TempDir(), "new")
		paths, err := WriteDir(dir, fs, order)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != len(fs) || filepath.Base(paths[10]) != "filter-10.bpf" {
			t.Fatalf("wrote %v", paths)
		}
		s, err := ReadDir(dir, order)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(s, StackOf(fs), func(a, b bpf.Program) bool { return slices.Equal(a, b) }) {
			t.Errorf("%v: read back %d filters, not the ones written", order, len(s))
		}
	}
}

func TestReadDirErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadDir(dir, binary.LittleEndian); err == nil || !strings.Contains(err.Error(), "no filter-N.bpf files") {
		t.Errorf("empty directory: %v", err)
	}
	// Three bytes are no instruction; a program that does not end in a
	// return is refused by the kernel.
	for name, data := range map[string][]byte{
		"short":   {1, 2, 3},
		"invalid": prog(t, "ld [0]\n").Encode(binary.LittleEndian),
	} {
		path := filepath.Join(dir, name+".bpf")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadBPF(path, binary.LittleEndian); err == nil || !strings.HasPrefix(err.Error(), path+": not a") {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
}

func TestGroupTasks(t *testing.T) {
	a := Filter{Program: prog(t, "ret #0x7fff0000\n")}
	b := Filter{Program: prog(t, "ret #0\n")}
	// Equal programs in distinct slices are one group.
	a2 := Filter{Program: slices.Clone(a.Program)}
	stuck := errors.New("thread 5 did not stop")
	groups, unread := GroupTasks([]Task{
		{TID: 1, Filters: []Filter{a}},
		{TID: 2, Filters: []Filter{a, b}},
		{TID: 3, Filters: []Filter{a2}},
		{TID: 4},
		{TID: 5, Err: stuck},
		{TID: 6, Filters: []Filter{a2, b}},
		{TID: 7, Filters: []Filter{b, a}},
	})
	var got [][]int
	for _, g := range groups {
		got = append(got, g.TIDs)
	}
	want := [][]int{{1, 3}, {2, 6}, {4}, {7}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("groups %v, want %v", got, want)
	}
	if len(unread) != 1 || unread[0] != stuck {
		t.Errorf("unread %v, want [%v]", unread, stuck)
	}
}

func TestReadStack(t *testing.T) {
	dir := t.TempDir()
	allow := prog(t, "ret #0x7fff0000\n")
	deny := prog(t, "ld [0]\njeq #59, kill, ok\nkill: ret #0\nok: ret #0x7fff0000\n")
	dump := filepath.Join(dir, "live")
	if _, err := WriteDir(dump, []Filter{{Index: 0, Program: allow}, {Index: 1, Program: deny}}, binary.BigEndian); err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(dir, "f.bpf")
	if err := os.WriteFile(raw, deny.Encode(binary.BigEndian), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]Stack{dump: {allow, deny}, raw: {deny}} {
		if !IsCompiled(path) {
			t.Errorf("IsCompiled(%s) = false", path)
		}
		s, err := ReadStack(path, binary.BigEndian)
		if err != nil || !slices.EqualFunc(s, want, func(a, b bpf.Program) bool { return slices.Equal(a, b) }) {
			t.Errorf("ReadStack(%s): %d filters, %v; want %d", path, len(s), err, len(want))
		}
	}
	for _, path := range []string{"p.json", "docker-default", filepath.Join(dir, "none.json")} {
		if IsCompiled(path) {
			t.Errorf("IsCompiled(%s) = true", path)
		}
	}
	if _, err := ReadStack(filepath.Join(dir, "none.bpf"), binary.BigEndian); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadStack of a missing file: %v", err)
	}
}
