package bpf

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

func TestEncode(t *testing.T) {
	p := Program{
		{Op: BPF_LD | BPF_W | BPF_ABS, K: 4},
		{Op: BPF_JMP | BPF_JEQ | BPF_K, Jt: 1, Jf: 2, K: 0xc000003e},
	}
	tests := []struct {
		name  string
		order binary.ByteOrder
		want  []byte
	}{
		{"little endian", binary.LittleEndian, []byte{
			0x20, 0x00, 0, 0, 0x04, 0x00, 0x00, 0x00,
			0x15, 0x00, 1, 2, 0x3e, 0x00, 0x00, 0xc0,
		}},
		{"big endian", binary.BigEndian, []byte{
			0x00, 0x20, 0, 0, 0x00, 0x00, 0x00, 0x04,
			0x00, 0x15, 1, 2, 0xc0, 0x00, 0x00, 0x3e,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Encode(tt.order)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Encode = % x, want % x", got, tt.want)
			}
			back, err := Decode(got, tt.order)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back, p) {
				t.Errorf("Decode(Encode(p)) = %v, want %v", back, p)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"short", make([]byte, 7)},
		{"ragged", make([]byte, 17)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.in, binary.LittleEndian)
			if err == nil || p != nil {
				t.Errorf("Decode = %v, %v; want nil and an error", p, err)
			}
		})
	}
}
