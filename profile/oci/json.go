package oci

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// This file is a small JSON reader that keeps the byte offset of every
// value and key, so that errors can say where they are. It accepts
// exactly RFC 8259 JSON (encoding/json decodes the strings).

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

type value struct {
	kind    kind
	off     int     // offset of the first byte
	end     int     // offset just past the last byte
	raw     string  // number text
	str     string  // decoded string
	boolean bool    //
	elems   []value // array elements
	members []member
}

type member struct {
	key    string
	keyOff int
	val    value
}

// get returns the member named key.
func (v *value) get(key string) (value, bool) {
	for _, m := range v.members {
		if m.key == key {
			return m.val, true
		}
	}
	return value{}, false
}

type jsonError struct {
	off int
	msg string
}

func (e *jsonError) Error() string { return e.msg }

type reader struct {
	data  []byte
	pos   int
	depth int
}

func parseJSON(data []byte) (value, error) {
	r := &reader{data: data}
	if len(data) >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf {
		r.pos = 3 // a UTF-8 byte-order mark, as some editors write
	}
	r.space()
	v, err := r.value()
	if err != nil {
		return value{}, err
	}
	r.space()
	if r.pos < len(r.data) {
		return value{}, r.errf("unexpected %s after the top-level value", r.what())
	}
	return v, nil
}

func (r *reader) errf(format string, args ...any) error {
	return &jsonError{off: r.pos, msg: fmt.Sprintf(format, args...)}
}

// what describes the byte at the current position for an error.
func (r *reader) what() string {
	if r.pos >= len(r.data) {
		return "end of input"
	}
	c, _ := utf8.DecodeRune(r.data[r.pos:])
	if c == utf8.RuneError {
		return fmt.Sprintf("byte %#02x", r.data[r.pos])
	}
	return fmt.Sprintf("character %q", c)
}

func (r *reader) space() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *reader) value() (v value, err error) {
	defer func() { v.end = r.pos }()
	if r.pos >= len(r.data) {
		return value{}, r.errf("unexpected end of input, expected a value")
	}
	start := r.pos
	switch c := r.data[r.pos]; {
	case c == '{':
		return r.object()
	case c == '[':
		return r.array()
	case c == '"':
		s, err := r.string()
		return value{kind: kString, off: start, str: s}, err
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	case r.literal("true"):
		return value{kind: kBool, off: start, boolean: true}, nil
	case r.literal("false"):
		return value{kind: kBool, off: start}, nil
	case r.literal("null"):
		return value{kind: kNull, off: start}, nil
	}
	return value{}, r.errf("unexpected %s, expected a value", r.what())
}

func (r *reader) literal(s string) bool {
	if len(r.data)-r.pos >= len(s) && string(r.data[r.pos:r.pos+len(s)]) == s {
		r.pos += len(s)
		return true
	}
	return false
}

func (r *reader) enter() error {
	r.depth++
	if r.depth > 1000 {
		return r.errf("nesting too deep")
	}
	return nil
}

func (r *reader) object() (value, error) {
	v := value{kind: kObject, off: r.pos}
	if err := r.enter(); err != nil {
		return v, err
	}
	defer func() { r.depth-- }()
	r.pos++
	r.space()
	if r.pos < len(r.data) && r.data[r.pos] == '}' {
		r.pos++
		return v, nil
	}
	for {
		r.space()
		if r.pos >= len(r.data) || r.data[r.pos] != '"' {
			return v, r.errf("unexpected %s, expected a field name in quotes", r.what())
		}
		keyOff := r.pos
		key, err := r.string()
		if err != nil {
			return v, err
		}
		r.space()
		if r.pos >= len(r.data) || r.data[r.pos] != ':' {
			return v, r.errf("unexpected %s, expected ':' after field name", r.what())
		}
		r.pos++
		r.space()
		val, err := r.value()
		if err != nil {
			return v, err
		}
		v.members = append(v.members, member{key: key, keyOff: keyOff, val: val})
		r.space()
		if r.pos < len(r.data) && r.data[r.pos] == ',' {
			r.pos++
			continue
		}
		if r.pos < len(r.data) && r.data[r.pos] == '}' {
			r.pos++
			return v, nil
		}
		return v, r.errf("unexpected %s, expected ',' or '}'", r.what())
	}
}

func (r *reader) array() (value, error) {
	v := value{kind: kArray, off: r.pos}
	if err := r.enter(); err != nil {
		return v, err
	}
	defer func() { r.depth-- }()
	r.pos++
	r.space()
	if r.pos < len(r.data) && r.data[r.pos] == ']' {
		r.pos++
		return v, nil
	}
	for {
		r.space()
		e, err := r.value()
		if err != nil {
			return v, err
		}
		v.elems = append(v.elems, e)
		r.space()
		if r.pos < len(r.data) && r.data[r.pos] == ',' {
			r.pos++
			continue
		}
		if r.pos < len(r.data) && r.data[r.pos] == ']' {
			r.pos++
			return v, nil
		}
		return v, r.errf("unexpected %s, expected ',' or ']'", r.what())
	}
}

func (r *reader) string() (string, error) {
	start := r.pos
	r.pos++ // opening quote
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			r.pos++
			var s string
			if err := json.Unmarshal(r.data[start:r.pos], &s); err != nil {
				r.pos = start
				return "", r.errf("invalid string: %v", err)
			}
			return s, nil
		case c == '\\':
			r.pos += 2
		case c < 0x20:
			return "", r.errf("control character %#02x in string", c)
		default:
			r.pos++
		}
	}
	r.pos = start
	return "", r.errf("string not terminated")
}

func (r *reader) number() (value, error) {
	start := r.pos
	if r.data[r.pos] == '-' {
		r.pos++
	}
	digits := func() int {
		n := 0
		for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
			r.pos++
			n++
		}
		return n
	}
	intStart := r.pos
	if n := digits(); n == 0 {
		return value{}, r.errf("unexpected %s in number", r.what())
	} else if n > 1 && r.data[intStart] == '0' {
		r.pos = intStart
		return value{}, r.errf("number with a leading zero")
	}
	if r.pos < len(r.data) && r.data[r.pos] == '.' {
		r.pos++
		if digits() == 0 {
			return value{}, r.errf("unexpected %s in number", r.what())
		}
	}
	if r.pos < len(r.data) && (r.data[r.pos] == 'e' || r.data[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.data) && (r.data[r.pos] == '+' || r.data[r.pos] == '-') {
			r.pos++
		}
		if digits() == 0 {
			return value{}, r.errf("unexpected %s in number", r.what())
		}
	}
	return value{kind: kNumber, off: start, raw: string(r.data[start:r.pos])}, nil
}
