package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/analyze"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
	"github.com/syscage/syscage/record"
)

// fuseFlags are record's flags for the fusion of the recording with the
// static analysis (package fusion).
type fuseFlags struct {
	dynamicOnly bool
	static      bool
	risk        []string
	analyze     []string
	train       []string
}

func addFuseFlags(c *cobra.Command, o *fuseFlags) {
	f := c.Flags()
	f.BoolVar(&o.static, "static", true, "fuse the recording with the static analysis of CMD (and --analyze programs): add the low-risk calls the code can reach, the siblings of calls seen and what the runtime needs, each with its reason")
	f.BoolVar(&o.dynamicOnly, "dynamic-only", false, "write what the recording saw, nothing more (--static=false)")
	f.StringArrayVar(&o.risk, "risk", nil, "override a risk class or call: `NAME=high|low` (repeatable; classes: "+riskClasses()+")")
	f.StringArrayVar(&o.analyze, "analyze", nil, "also analyse the program `PATH` (one CMD runs; repeatable)")
	f.StringArrayVar(&o.train, "train", nil, "also record the workload `CMD` (a command line, split as a shell splits words; repeatable); the profile allows what every workload did")
}

func riskClasses() string {
	var out []string
	for _, c := range fusion.HighRisk {
		out = append(out, c.Name)
	}
	return strings.Join(out, ", ")
}

// fused reports whether record fuses the recording with the analysis.
func (o *fuseFlags) fused(into string) bool {
	return o.static && !o.dynamicOnly && into == ""
}

// riskMap parses --risk.
func (o *fuseFlags) riskMap() (map[string]bool, error) {
	host, _ := arch.Native()
	m := map[string]bool{}
	for _, s := range o.risk {
		name, high, err := fusion.ParseRisk(s, host)
		if err != nil {
			return nil, usagef("--risk: %v", err)
		}
		m[name] = high
	}
	return m, nil
}

// trainArgv splits each --train command line into words.
func (o *fuseFlags) trainArgv() ([][]string, error) {
	var out [][]string
	for _, s := range o.train {
		w, err := splitWords(s)
		if err != nil {
			return nil, usagef("--train %q: %v", s, err)
		}
		if len(w) == 0 {
			return nil, usagef("--train: an empty command")
		}
		out = append(out, w)
	}
	return out, nil
}

// splitWords splits s into words as a POSIX shell does for a simple
// command: blanks separate, single and double quotes group, a backslash
// escapes. Nothing is expanded.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				esc = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			esc, in = true, true
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if esc {
		return nil, errors.New("a backslash at the end")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// analyzePrograms analyses CMD's program and the --analyze ones; a
// program that cannot be analysed is a warning, and the profile stands
// on the recording alone.
func analyzePrograms(e *env, o fuseFlags, argv0 string) []*analyze.Result {
	ao := analyze.Options{}
	if dir, err := os.UserCacheDir(); err == nil {
		ao.CacheDir = filepath.Join(dir, "syscage", "analyze")
	}
	paths := []string{argv0}
	paths = append(paths, o.analyze...)
	var out []*analyze.Result
	for _, p := range paths {
		path, err := exec.LookPath(p)
		if err != nil {
			fmt.Fprintf(e.stderr, "syscage: warning: analyze %s: %v; the profile rests on the recording for it\n", p, err)
			continue
		}
		r, err := analyze.Analyze(path, ao)
		if err != nil {
			fmt.Fprintf(e.stderr, "syscage: warning: %v; the profile rests on the recording for it (--dynamic-only says so)\n", err)
			continue
		}
		if len(r.Unresolved) > 0 {
			fmt.Fprintf(e.stderr, "syscage: analyze %s: %d things could not be followed (syscage analyze %s lists them); the recording covers what they do in its workloads\n", path, len(r.Unresolved), path)
		}
		out = append(out, r)
	}
	return out
}

// fuseRecording writes the fused profile of rec and says on stderr what
// it holds.
func fuseRecording(e *env, rec *record.Recording, static []*analyze.Result, o recordOptions, def profile.Action, comment string, risk map[string]bool) (*profile.Profile, error) {
	quiet := o.json
	// systemd's SystemCallFilter= has no argument conditions.
	noConds := o.format == "systemd" && !o.args
	r, err := fusion.Fuse(rec, static, fusion.Options{Default: def, Comment: comment, Args: o.args, Risk: risk, NoConds: noConds})
	if err != nil {
		return nil, err
	}
	if !quiet {
		fmt.Fprintf(e.stderr, "syscage: record: %d calls allowed: %d seen, %d reachable in the code, %d siblings of calls seen, %d runtime needs (the reasons are in the rules' comments; syscage explain prints them)\n",
			len(r.Allowed), r.Count(fusion.Seen), r.Count(fusion.Static), r.Count(fusion.Sibling), r.Count(fusion.Runtime))
		if len(r.Withheld) > 0 {
			var names []string
			for _, w := range r.Withheld {
				names = append(names, w.Name)
			}
			fmt.Fprintf(e.stderr, "syscage: record: high-risk calls the code can reach but the recording never saw stay denied: %s\n", strings.Join(names, ", "))
		}
	}
	return r.Profile, nil
}
