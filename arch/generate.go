package arch

//go:generate go run ./internal/gen -in data/syscalls.csv -out zsyscalls.go
