package lmtp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/ferrymail/ferrymail/internal/observe"
)

// observed wraps a session: it writes the one log line per command
// (CONVENTIONS §12) for MAIL, RCPT and DATA, and reports connections,
// commands and deliveries to Options.Observer. go-smtp makes a session at
// LHLO and ends it (Logout) when the connection closes, so a connection is
// counted from LHLO on. Addresses are logged (they are the envelope an MTA
// log shows too); the message body never is.
type observed struct {
	*session
	obs observe.Observer
}

var _ smtp.LMTPSession = (*observed)(nil)

func newObserved(ss *session, obs observe.Observer) *observed {
	obs.ConnOpened(observe.LMTP)
	return &observed{session: ss, obs: obs}
}

func (o *observed) Logout() error {
	o.obs.ConnClosed(observe.LMTP)
	return o.session.Logout()
}

func (o *observed) Mail(from string, opts *smtp.MailOptions) error {
	start := time.Now()
	err := o.session.Mail(from, opts)
	o.command("MAIL", start, replyCode(err), err)
	return err
}

func (o *observed) Rcpt(to string, opts *smtp.RcptOptions) error {
	start := time.Now()
	err := o.session.Rcpt(to, opts)
	o.command("RCPT", start, replyCode(err), err)
	return err
}

func (o *observed) Data(r io.Reader) error {
	return o.LMTPData(r, discardStatus{})
}

// LMTPData reports each recipient's status as a delivery (RFC 2033 §4.2)
// and the command's outcome as the highest reply code among them.
func (o *observed) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	start := time.Now()
	body := &countingReader{r: r}
	st := &observedStatus{next: status}
	err := o.session.LMTPData(body, st)
	for _, code := range st.codes {
		n := int64(0)
		if code/100 == 2 {
			n = body.n
		}
		o.obs.Delivery(deliveryOutcome(code), n)
	}
	code := replyCode(err)
	for _, c := range st.codes {
		code = max(code, c)
	}
	o.command("DATA", start, code, err)
	return err
}

// command logs and reports one command; the outcome is its SMTP reply code.
func (o *observed) command(name string, start time.Time, code int, err error) {
	d := time.Since(start)
	outcome := strconv.Itoa(code)
	o.obs.Command(observe.LMTP, name, outcome, d)
	level := slog.LevelInfo
	attrs := []any{"cmd", name, "duration", d, "outcome", outcome}
	if code/100 == 4 {
		level = slog.LevelWarn
	}
	if err != nil {
		attrs = append(attrs, "err", err.Error())
	}
	o.log.Log(context.Background(), level, "lmtp command", attrs...)
}

// replyCode is the code go-smtp writes for err: an *smtp.SMTPError's own,
// 451 for any other error (conn.go, handleMail/handleRcpt), 250 for none.
func replyCode(err error) int {
	var se *smtp.SMTPError
	switch {
	case err == nil:
		return 250
	case errors.As(err, &se):
		return se.Code
	}
	return 451
}

// deliveryOutcome: ok (2xx), error (4xx, try again later), no (5xx,
// refused for good: too big, unknown user).
func deliveryOutcome(code int) string {
	switch code / 100 {
	case 2:
		return observe.OK
	case 4:
		return observe.Error
	}
	return observe.No
}

// observedStatus records the reply code of each recipient's status.
type observedStatus struct {
	next  smtp.StatusCollector
	codes []int
}

func (s *observedStatus) SetStatus(rcpt string, err error) {
	s.codes = append(s.codes, replyCode(err))
	s.next.SetStatus(rcpt, err)
}

// countingReader counts the bytes of DATA read.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
