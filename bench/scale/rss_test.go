package main

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

// TestMeasureMemory: a child process is in the tree, and the sums are
// positive and at least the root's own.
func TestMeasureMemory(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	tree := processTree(os.Getpid())
	if !slices.Contains(tree, cmd.Process.Pid) || tree[0] != os.Getpid() {
		t.Fatalf("tree %v lacks the child %d", tree, cmd.Process.Pid)
	}
	if len(tree) > 20 {
		t.Fatalf("tree of this test has %d processes: %v", len(tree), tree)
	}
	m := measureMemory(os.Getpid())
	if m.procs != len(tree) || m.rssKiB <= 0 || m.pssKiB <= 0 {
		t.Fatalf("measureMemory = %+v", m)
	}
}
