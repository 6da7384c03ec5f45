package loadgen

import (
	"context"
	"time"
)

// pop3Client is one simulated POP3 client.
type pop3Client struct {
	cfg  *Config
	cred Credential
	rec  *recorder
	drop bool // full drop (RETR all) rather than polling (UIDL only)
}

// session is one connection: CONNECT, USER+PASS, UIDL, RETR of every
// message when dropping, QUIT. Nothing is deleted (no DELE), so every
// session finds the same mail, as a leave-on-server client does.
func (w *pop3Client) session(ctx context.Context) error {
	begin := time.Now()
	var c *pop3Conn
	err := w.rec.do(ctx, OpConnect, func() error {
		var err error
		c, err = dialPOP3(ctx, w.cfg)
		return err
	})
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.nc.Close() })
	defer func() {
		stop()
		c.nc.Close()
	}()
	err = w.rec.do(ctx, OpPOP3Login, func() error {
		if _, err := c.cmd("USER", "USER "+w.cred.User); err != nil {
			return err
		}
		_, err := c.cmd("PASS", "PASS "+w.cred.Password)
		return err
	})
	if err != nil {
		return err
	}
	var list []uidlEntry
	if err := w.rec.do(ctx, OpUIDL, func() error { var err error; list, err = c.uidl(); return err }); err != nil {
		return err
	}
	if w.drop {
		for _, e := range list {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			err := w.rec.do(ctx, OpRetr, func() error {
				n, err := c.retr(e.num)
				w.rec.addBytes(n)
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	if err := w.rec.do(ctx, OpQuit, func() error { _, err := c.cmd("QUIT", "QUIT"); return err }); err != nil {
		return err
	}
	w.rec.ok(OpSession, begin)
	return nil
}
