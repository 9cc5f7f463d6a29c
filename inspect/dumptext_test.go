package inspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/syscage/syscage/arch"
)

func TestProcessText(t *testing.T) {
	allow := Filter{Index: 0, Program: prog(t, "ret #0x7fff0000\n")}
	deny := Filter{Index: 1, Log: true, Program: prog(t, "ld [0]\njeq #59, kill, ok\nkill: ret #0\nok: ret #0x7fff0000\n")}

	// One set: no thread lines, the oldest and the newest named.
	one := GroupProcess(42, []Task{{TID: 42, Filters: []Filter{allow, deny}}, {TID: 43, Filters: []Filter{allow, deny}}})
	fs, err := one.Filters()
	if err != nil || len(fs) != 2 || one.Unfiltered() {
		t.Fatalf("Filters: %d, %v; unfiltered %v", len(fs), err, one.Unfiltered())
	}
	var b bytes.Buffer
	one.WriteText(&b, arch.X86_64)
	text := b.String()
	for _, want := range []string{
		"; filter 0 of 2, the oldest: 1 instructions\n   0: ret ALLOW\n\n",
		"; filter 1 of 2, the newest: 4 instructions, installed with SECCOMP_FILTER_FLAG_LOG\n",
		"jeq #59", "execve",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.HasPrefix(text, "; thread") {
		t.Errorf("one set written under its threads:\n%s", text)
	}

	// Threads apart, one unfiltered, one unread: each set under its threads.
	apart := GroupProcess(42, []Task{{TID: 42, Filters: []Filter{allow}}, {TID: 43}, {TID: 44, Filters: []Filter{allow}}, {TID: 45, Err: errors.New("stuck")}})
	if _, err := apart.Filters(); err == nil || err.Error() != "dump pid 42: its threads have different filters (threads 42, 44: 1 filter; thread 43: 0 filters)" {
		t.Errorf("Filters of threads apart: %v", err)
	}
	if len(apart.Unread) != 1 || apart.Unfiltered() {
		t.Errorf("unread %v, unfiltered %v", apart.Unread, apart.Unfiltered())
	}
	b.Reset()
	apart.WriteText(&b, arch.X86_64)
	want := "; threads 42, 44 of pid 42: 1 filter\n\n; filter 0 of 1: 1 instructions\n   0: ret ALLOW\n\n; thread 43 of pid 42: no seccomp filter\n"
	if b.String() != want {
		t.Errorf("text of threads apart:\n%s\nwant:\n%s", b.String(), want)
	}

	if none := GroupProcess(42, []Task{{TID: 42}, {TID: 43}}); !none.Unfiltered() {
		t.Error("a process without filters is not unfiltered")
	}
	if one := GroupProcess(42, []Task{{TID: 42}, {TID: 43, Err: errors.New("stuck")}}); one.Unfiltered() {
		t.Error("a process with an unread thread is unfiltered")
	}
}

func TestListings(t *testing.T) {
	if l := Listings(nil, binary.LittleEndian); l == nil || len(l) != 0 {
		t.Errorf("Listings(nil) = %#v, want an empty list", l)
	}
	deny := Filter{Index: 3, Log: true, Program: prog(t, "ld [0]\njeq #59, kill, ok\nkill: ret #0\nok: ret #0x7fff0000\n")}
	l := Listings([]Filter{deny}, binary.LittleEndian)
	if len(l) != 1 || l[0].Index != 3 || !l[0].Log || len(l[0].Instructions) != 4 || l[0].Instructions[3] != "   3: ret ALLOW" {
		t.Errorf("Listings = %#v", l)
	}
}
