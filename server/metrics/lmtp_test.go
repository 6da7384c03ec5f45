package metrics

import (
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ferrymail/ferrymail/internal/observe"
	"github.com/ferrymail/ferrymail/lmtp"
)

func TestMetricsLMTPDelivery(t *testing.T) {
	e := newEnv(t)
	srv := lmtp.New(lmtp.Options{Observer: e.m, SpoolDir: t.TempDir()}, e.st, slog.New(slog.NewTextHandler(e.log, nil)))
	addr := serve(t, srv)

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(nc)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		t.Fatalf("LHLO: %v", err)
	}
	if err := c.Mail("sender@example.org", nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if err := c.Rcpt("nobody@example.org", nil); err == nil {
		t.Fatal("RCPT of an unknown user succeeded")
	}
	if err := c.Rcpt("alice@example.org", nil); err != nil {
		t.Fatalf("RCPT alice: %v", err)
	}
	const body = "Subject: hi\r\n\r\nthe-secret-body-text\r\n"
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	w.Write([]byte(body))
	if _, err := w.CloseWithLMTPResponse(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}
	waitFor(t, "lmtp connection closed", func() bool {
		return testutil.ToFloat64(e.m.connsTotal.WithLabelValues(observe.LMTP)) == 1 &&
			testutil.ToFloat64(e.m.connsCurrent.WithLabelValues(observe.LMTP)) == 0
	})
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"lmtp_deliveries_total{ok}", testutil.ToFloat64(e.m.deliveries.WithLabelValues("ok")), 1},
		{"lmtp_delivered_bytes_total", testutil.ToFloat64(e.m.deliveryBytes), float64(len(body))},
		{"commands_total{lmtp,MAIL,250}", testutil.ToFloat64(e.m.commands.WithLabelValues("lmtp", "MAIL", "250")), 1},
		{"commands_total{lmtp,RCPT,550}", testutil.ToFloat64(e.m.commands.WithLabelValues("lmtp", "RCPT", "550")), 1},
		{"commands_total{lmtp,RCPT,250}", testutil.ToFloat64(e.m.commands.WithLabelValues("lmtp", "RCPT", "250")), 1},
		{"commands_total{lmtp,DATA,250}", testutil.ToFloat64(e.m.commands.WithLabelValues("lmtp", "DATA", "250")), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	log := e.log.String()
	if strings.Contains(log, "the-secret-body-text") {
		t.Errorf("the message body is in the log:\n%s", log)
	}
	for _, want := range []string{"cmd=MAIL", "cmd=RCPT", "outcome=550", "cmd=DATA"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}
