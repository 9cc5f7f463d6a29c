package record_test

import (
	"encoding/json"
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/record"
)

func TestAdditionJSON(t *testing.T) {
	for _, tc := range []struct {
		a    record.Addition
		want string
	}{
		{record.Addition{Arch: arch.X86_64, Name: "uname", Added: true}, `{"arch":"x86_64","name":"uname","added":true}`},
		{record.Addition{Arch: arch.X86, Name: "read", Added: true, Undenied: []int{0}, Wider: []int{2, 4}}, `{"arch":"x86","name":"read","added":true,"undenied":[1],"wider":[3,5]}`},
		{record.Addition{Arch: arch.X86_64, Name: "ioctl", Guards: []int{1}}, `{"arch":"x86_64","name":"ioctl","added":false,"guards":[2]}`},
		{record.Addition{Arch: arch.X86, Name: "socket", Added: true, Undenied: []int{0}, Beyond: []record.Beyond{{Arch: arch.X86_64, Name: "socket"}, {Arch: arch.X86, Name: "socketcall", Some: true, Args: [6]uint64{1}}}}, `{"arch":"x86","name":"socket","added":true,"undenied":[1],"beyond":["x86_64 socket","x86 socketcall(socket)"]}`},
	} {
		b, err := json.Marshal(tc.a)
		if err != nil || string(b) != tc.want {
			t.Errorf("got %s (%v), want %s", b, err, tc.want)
		}
	}
}
