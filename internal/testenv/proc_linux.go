//go:build linux

package testenv

import "syscall"

// setParentDeathSignal asks the kernel to SIGKILL the server when the thread
// that started it exits, so that servers do not outlive a test binary that
// dies without cleaning up (panic, "go test -timeout", SIGKILL). StartMoto
// starts and waits for the process on one goroutine locked to its OS thread,
// so that thread lives exactly as long as the server.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
