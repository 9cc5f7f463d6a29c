package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/analyze/fusion"
	"github.com/syscage/syscage/record"
)

// fuseFlags are record's flags for the fusion of the recording with the
// static analysis (package fusion).
type fuseFlags struct {
	dynamicOnly bool
	static      bool
	risk        []string
	train       []string
}

func addFuseFlags(c *cobra.Command, o *fuseFlags, analyze *[]string) {
	f := c.Flags()
	f.BoolVar(&o.static, "static", true, "fuse the recording with the static analysis of CMD (and --analyze programs): add the low-risk calls the code can reach, the siblings of calls seen and what the runtime needs, each with its reason")
	f.BoolVar(&o.dynamicOnly, "dynamic-only", false, "write what the recording saw, nothing more (--static=false)")
	f.StringArrayVar(&o.risk, "risk", nil, "override a risk class or call: `NAME=high|low` (repeatable; classes: "+strings.Join(fusion.RiskClasses(), ", ")+")")
	f.StringArrayVar(analyze, "analyze", nil, "also analyse the program `PATH` (one CMD runs; repeatable)")
	f.StringArrayVar(&o.train, "train", nil, "also record the workload `CMD` (a command line, split as a shell splits words; repeatable); the profile allows what every workload did")
}

// fused reports whether record fuses the recording with the analysis.
func (o *fuseFlags) fused(into string) bool {
	return o.static && !o.dynamicOnly && into == ""
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

// splitWords splits a command line given in a flag (record.SplitCommand).
func splitWords(s string) ([]string, error) { return record.SplitCommand(s) }
