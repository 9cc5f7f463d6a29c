package profile_test

import (
	"testing"

	"github.com/syscage/syscage/internal/proftest"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/profile"
)

func BenchmarkEvaluateDockerDefault(b *testing.B) {
	p := proftest.DockerDefault(arch.X86_64)
	d := profile.Data{Nr: 41, Arch: arch.X86_64.Audit(), Args: [6]uint64{40}}
	for b.Loop() {
		if _, err := profile.Evaluate(p, arch.X86_64, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTableDockerDefault(b *testing.B) {
	p := proftest.DockerDefault(arch.X86_64)
	for b.Loop() {
		if _, err := p.Table(arch.X86_64, profile.TableOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
