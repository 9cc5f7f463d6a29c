// Package closest finds the known name a mistyped one most likely meant,
// for the "did you mean" of the format readers' errors.
package closest

import "strings"

// Name returns the name of known that key most likely means, or "": one
// that differs only in case (and in a leading '@', as systemd's groups
// have), else the nearest at most two edits away, else one that key is a
// prefix of or that is a prefix of key.
func Name(key string, known []string) string {
	if key == "" {
		return ""
	}
	bare := strings.ToLower(strings.TrimPrefix(key, "@"))
	for _, k := range known {
		if strings.ToLower(strings.TrimPrefix(k, "@")) == bare {
			return k
		}
	}
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return best
	}
	for _, k := range known {
		if strings.HasPrefix(k, key) || strings.HasPrefix(key, k) {
			return k
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b; names over 64
// bytes are never near anything.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
