// Package cogpass is the module root. It holds no code: the binary is
// cmd/cogpass, and docs/architecture.md draws the package graph that
// layout_test.go keeps true.
package cogpass
