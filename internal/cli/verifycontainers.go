package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/syscage/syscage/containers"
	"github.com/syscage/syscage/inspect"
)

type containersFlags struct {
	containers bool
	roots      []string
	libseccomp string
}

func (cf *containersFlags) add(c *cobra.Command) {
	f := c.Flags()
	f.BoolVar(&cf.containers, "containers", false, "check every running container of the node against its bundle's config.json")
	f.StringArrayVar(&cf.roots, "root", containers.DefaultRoots, "with --containers, a runtime state `DIR` (a glob pattern; repeatable)")
	f.StringVar(&cf.libseccomp, "libseccomp", "auto", "with --containers, the libseccomp `VERSION` the runtime links ("+strings.Join(containers.LibseccompVersions, ", ")+"), \"none\" for one that knows every system call of syscage's tables, or \"auto\": the one 'runc --version' names, else none")
}

func runVerifyContainers(e *env, o verifyOptions, args []string, rootsGiven bool) error {
	if len(args) > 0 || o.pid != 0 {
		return usagef("verify --containers takes no --pid and no arguments")
	}
	host, err := parseArchFlag(o.host)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	lacks, err := containers.RuntimeLibseccomp(context.Background(), o.libseccomp, runOutput)
	if err != nil && o.libseccomp == "auto" {
		err = fmt.Errorf("%w: pass --libseccomp", err)
	}
	if err != nil {
		return withCode(ExitUsage, err)
	}
	if rootsGiven {
		for _, r := range o.roots {
			if m, err := filepath.Glob(r); err != nil || len(m) == 0 {
				return usagef("--root %s: no such directory", r)
			}
		}
	}
	cs, errs, err := containers.Find(o.roots)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "syscage: %v\n", err)
	}
	finding := len(errs) > 0
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, c := range cs {
		r := containers.Check(c, containers.Options{Host: host, Dump: inspect.DumpOptions{Timeout: o.timeout}, Lacks: lacks})
		finding = finding || r.Finding
		if o.json {
			if err := enc.Encode(r); err != nil {
				return withCode(ExitFailure, err)
			}
			continue
		}
		fmt.Fprintln(e.stdout, r.Line())
	}
	if len(cs) == 0 {
		fmt.Fprintf(e.stderr, "syscage: no containers under %s\n", strings.Join(o.roots, ", "))
	}
	if finding {
		return silentExit(ExitFinding)
	}
	return nil
}
