package main

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cmd := &command{name: "message list", args: "[--data DIR] USER MAILBOX"}
	tests := []struct {
		args    []string
		data    string
		pos     []string
		wantErr bool
	}{
		{[]string{"--data", "d", "u", "m"}, "d", []string{"u", "m"}, false},
		{[]string{"u", "m", "--data", "d"}, "d", []string{"u", "m"}, false},
		{[]string{"u", "-data=d", "m"}, "d", []string{"u", "m"}, false},
		{[]string{"u", "m"}, "./ferrymail-data", []string{"u", "m"}, false},
		{[]string{"--data", "d", "--", "-u", "--data"}, "d", []string{"-u", "--data"}, false},
		{[]string{"u", "--bogus", "m"}, "", nil, true},
		{[]string{"u", "--data"}, "", nil, true},
	}
	for _, tt := range tests {
		var c commonFlags
		pos, err := parseArgs(cmd, newFlagSet(cmd, &c), tt.args)
		if tt.wantErr {
			var uerr *usageError
			if !errors.As(err, &uerr) {
				t.Errorf("%q: err %v, want a usage error", tt.args, err)
			}
			continue
		}
		if err != nil || c.dataDir != tt.data || !reflect.DeepEqual(pos, tt.pos) {
			t.Errorf("%q: data %q, args %q, err %v; want %q, %q", tt.args, c.dataDir, pos, err, tt.data, tt.pos)
		}
	}
}

func TestParseExactly(t *testing.T) {
	cmd := &command{name: "message list", args: "[--data DIR] USER MAILBOX"}
	tests := []struct {
		args []string
		want string // the usage error, "" for none
	}{
		{[]string{"u", "m"}, ""},
		{[]string{}, "message list: missing USER MAILBOX"},
		{[]string{"u"}, "message list: missing MAILBOX"},
		{[]string{"u", "m", "x"}, `message list: unexpected argument "x"`},
	}
	for _, tt := range tests {
		var c commonFlags
		_, err := parseExactly(cmd, newFlagSet(cmd, &c), tt.args, 2)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%q: %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestFindCommand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		name string
		rest []string
	}{
		{[]string{"serve", "--data", "d"}, "serve", []string{"--data", "d"}},
		{[]string{"user", "add", "alice"}, "user add", []string{"alice"}},
		{[]string{"message", "list", "a", "b"}, "message list", []string{"a", "b"}},
		{[]string{"user"}, "", nil},
		{[]string{"user", "frob"}, "", nil},
		{[]string{"frob"}, "", nil},
	} {
		cmd, rest, err := findCommand(tt.args)
		if tt.name == "" {
			var uerr *usageError
			if !errors.As(err, &uerr) {
				t.Errorf("%q: %v, want a usage error", tt.args, err)
			}
			continue
		}
		if err != nil || cmd.name != tt.name || !reflect.DeepEqual(rest, tt.rest) {
			t.Errorf("%q: %v %q %v; want %s %q", tt.args, cmd, rest, err, tt.name, tt.rest)
		}
	}
}
