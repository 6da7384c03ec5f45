package limits

import "time"

// Config is the set of limits one server process applies: what the
// [limits] section of the configuration sets (server/config.Limits). The
// zero value limits nothing and leaves each protocol's own timeouts.
type Config struct {
	// MaxConnectionsPerIP bounds the connections one remote address
	// (AddrKey) has open to each listener; 0 means no limit.
	MaxConnectionsPerIP int
	// MaxConnectionsPerUser bounds the IMAP sessions logged in as one
	// account; 0 means no limit.
	MaxConnectionsPerUser int
	// Logins configures the failed-login limiter shared by IMAP and POP3;
	// Logins.Failures 0 means no limiter (unlike NewLoginLimiter, where 0
	// means the default), so that the zero Config limits nothing.
	Logins LoginOptions
	// POP3IdleTimeout and LMTPTimeout: 0 leaves the protocol's default.
	POP3IdleTimeout time.Duration
	LMTPTimeout     time.Duration
}

// LoginLimiter returns the limiter that c.Logins describes, or nil.
func (c Config) LoginLimiter() *LoginLimiter {
	if c.Logins.Failures <= 0 {
		return nil
	}
	return NewLoginLimiter(c.Logins)
}
