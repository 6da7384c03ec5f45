package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
)

// LoadConfig fills accounts with generated mail.
type LoadConfig struct {
	Addr               string
	TLS                TLSMode
	InsecureSkipVerify bool
	Users              []Credential
	Messages           int    // per account
	Seed               uint64 // Message(Seed, 0 … Messages-1)
	Mailbox            string // "" is INBOX
	Clients            int    // connections at once (each fills whole accounts)
	// Progress, when set, is called after each account is full.
	Progress func(user string, done, total int)
}

// LoadResult is what Load did.
type LoadResult struct {
	Accounts, Messages int
	Bytes              int64
	Elapsed            time.Duration
}

// Load APPENDs messages 0 … Messages-1 of Seed to the mailbox of every
// account, each with the date of its Date header as INTERNALDATE, so that
// two servers loaded with the same flags hold identical mail. Accounts
// that already hold mail get more: load fresh accounts.
func Load(ctx context.Context, cfg LoadConfig) (*LoadResult, error) {
	if cfg.Addr == "" || len(cfg.Users) == 0 || cfg.Messages < 0 {
		return nil, fmt.Errorf("load: need an address, accounts and a message count")
	}
	if cfg.Mailbox == "" {
		cfg.Mailbox = "INBOX"
	}
	clients := min(max(cfg.Clients, 1), len(cfg.Users))
	// Generated once: every account gets the same messages.
	msgs := make([][]byte, cfg.Messages)
	for i := range msgs {
		msgs[i] = Message(cfg.Seed, i)
	}
	start := time.Now()
	var next, done atomic.Int64
	var bytes atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	run := &Config{Addr: cfg.Addr, TLS: cfg.TLS, InsecureSkipVerify: cfg.InsecureSkipVerify}
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(cfg.Users) || ctx.Err() != nil {
					return
				}
				n, err := loadAccount(ctx, run, cfg.Users[i], cfg.Mailbox, msgs)
				bytes.Add(n)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("loading %s: %w", cfg.Users[i].User, err)
					}
					mu.Unlock()
					return
				}
				if cfg.Progress != nil {
					cfg.Progress(cfg.Users[i].User, int(done.Add(1)), len(cfg.Users))
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &LoadResult{Accounts: len(cfg.Users), Messages: cfg.Messages * len(cfg.Users), Bytes: bytes.Load(), Elapsed: time.Since(start)}, nil
}

// loadAccount APPENDs msgs to one account's mailbox over one connection.
func loadAccount(ctx context.Context, cfg *Config, cred Credential, mailbox string, msgs [][]byte) (int64, error) {
	c, err := dialIMAP(ctx, cfg)
	if err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer func() {
		stop()
		c.Close()
	}()
	if err := c.Login(cred.User, cred.Password).Wait(); err != nil {
		return 0, err
	}
	var n int64
	for i, msg := range msgs {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		cmd := c.Append(mailbox, int64(len(msg)), &imap.AppendOptions{Time: messageDate(i)})
		if _, err := cmd.Write(msg); err != nil {
			cmd.Close()
			return n, err
		}
		if err := cmd.Close(); err != nil {
			return n, err
		}
		if _, err := cmd.Wait(); err != nil {
			return n, fmt.Errorf("APPEND of message %d: %w", i, err)
		}
		n += int64(len(msg))
	}
	return n, c.Logout().Wait()
}
