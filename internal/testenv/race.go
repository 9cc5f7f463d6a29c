//go:build race

package testenv

// Race reports whether the tests run with the race detector, which makes
// them several times slower: random property tests run fewer cases then.
const Race = true
