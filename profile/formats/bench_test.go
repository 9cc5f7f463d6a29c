package formats_test

import (
	"testing"

	"github.com/syscage/syscage/arch"
	"github.com/syscage/syscage/internal/proftest"
	"github.com/syscage/syscage/profile/formats"
	"github.com/syscage/syscage/profile/spo"
)

// dockerIn returns Docker's default profile resolved for x86_64, written
// in format f (systemd lossy: it has argument conditions).
func dockerIn(b *testing.B, f formats.Format) []byte {
	r := proftest.DockerDefault(arch.X86_64)
	out, _, err := formats.Write(r, f, formats.Options{Lossy: true, Meta: spo.Meta{Name: "docker"}})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkParse reads Docker's default profile (resolved for x86_64) in
// each format; compare the formats' ns/op side by side.
func BenchmarkParse(b *testing.B) {
	for _, f := range formats.Names() {
		b.Run(f, func(b *testing.B) {
			data := dockerIn(b, formats.Format(f))
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for range b.N {
				if _, _, err := formats.Parse("docker", data, formats.Format(f)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrite writes Docker's default profile (resolved for x86_64)
// in each format.
func BenchmarkWrite(b *testing.B) {
	r := proftest.DockerDefault(arch.X86_64)
	for _, f := range formats.Names() {
		b.Run(f, func(b *testing.B) {
			for range b.N {
				if _, _, err := formats.Write(r, formats.Format(f), formats.Options{Lossy: true, Meta: spo.Meta{Name: "docker"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
