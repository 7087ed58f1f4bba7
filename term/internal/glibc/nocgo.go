//go:build !(cgo && linux)

// Package glibc calls this machine's GNU C library; without cgo on Linux
// it is unavailable and its tests skip (or fail under CI).
package glibc

import "errors"

// Available reports why the oracle cannot be used.
func Available() error { return errors.New("glibc: needs cgo on linux") }

// Wcwidth is unavailable without cgo.
func Wcwidth(rune) int { panic(Available()) }

// Wcwidths is unavailable without cgo.
func Wcwidths(lo, hi rune) []int8 { panic(Available()) }

// MoshDecode is unavailable without cgo.
func MoshDecode([]byte) []rune { panic(Available()) }
