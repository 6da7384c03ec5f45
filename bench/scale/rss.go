package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Resident memory, read from /proc. RSS counts shared pages (Dovecot's
// mmapped index files, libraries) once per process that maps them, so
// for Dovecot's many processes the sum of RSS overstates what the machine
// spends; PSS (proportional set size, smaps_rollup) divides shared pages
// among their users and sums to the real figure. Both are reported.

type memory struct {
	procs    int
	rssKiB   int64
	pssKiB   int64
	anonKiB  int64 // RssAnon: heap and stacks, without mapped files
	imapRSS  int64 // Dovecot: the "imap" processes only
	imapPSS  int64
	imapProc int
}

// procField reads a "Name:   123 kB" field of a /proc file, in KiB.
func procField(path, name string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

func procComm(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	return string(bytes.TrimSpace(b))
}

func procPPid(pid int) int {
	return int(procField(filepath.Join("/proc", strconv.Itoa(pid), "status"), "PPid"))
}

// processTree lists root and all its descendants.
func processTree(root int) []int {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		children[procPPid(pid)] = append(children[procPPid(pid)], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// measureMemory sums RSS and PSS over the process tree of root.
func measureMemory(root int) memory {
	var m memory
	for _, pid := range processTree(root) {
		dir := filepath.Join("/proc", strconv.Itoa(pid))
		rss := procField(filepath.Join(dir, "status"), "VmRSS")
		pss := procField(filepath.Join(dir, "smaps_rollup"), "Pss")
		m.procs++
		m.rssKiB += rss
		m.pssKiB += pss
		m.anonKiB += procField(filepath.Join(dir, "status"), "RssAnon")
		if procComm(pid) == "imap" {
			m.imapProc++
			m.imapRSS += rss
			m.imapPSS += pss
		}
	}
	return m
}
