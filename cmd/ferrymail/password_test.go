package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferrymail/ferrymail/server/admin"
)

func TestReadNewPasswordFromPipe(t *testing.T) {
	tests := []struct {
		stdin   string
		want    string
		wantErr error
	}{
		{"s3cret\n", "s3cret", nil},
		{"s3cret\r\n", "s3cret", nil},
		{"s3cret", "s3cret", nil}, // no line ending at EOF
		{"two words \n", "two words ", nil},
		{"first\nsecond\n", "first", nil}, // one line only
		{"", "", admin.ErrEmptyPassword},
		{"\n", "", admin.ErrEmptyPassword},
		{"\r\n", "", admin.ErrEmptyPassword},
		{strings.Repeat("x", maxPasswordLength) + "\r\n", strings.Repeat("x", maxPasswordLength), nil},
	}
	for _, tt := range tests {
		e := &env{stdin: strings.NewReader(tt.stdin)}
		got, err := readNewPassword(context.Background(), e, "alice")
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("stdin %.20q: got %.20q, %v; want %.20q, %v", tt.stdin, got, err, tt.want, tt.wantErr)
		}
	}
	e := &env{stdin: strings.NewReader(strings.Repeat("x", maxPasswordLength+1) + "\n")}
	if _, err := readNewPassword(context.Background(), e, "alice"); err == nil {
		t.Errorf("a password over %d bytes was accepted", maxPasswordLength)
	}
}
