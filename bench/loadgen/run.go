package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// reconnectPause is how long a client waits after a failed session before
// it starts the next: a server that refuses every connection is not
// hammered in a tight loop.
const reconnectPause = 100 * time.Millisecond

// recorder is one client's measurements; merged at the end, so clients
// never contend on a lock while they run.
type recorder struct {
	from, to time.Time // the measured window
	hists    map[Op]*Histogram
	errors   map[Op]uint64
	bytes    uint64 // message bytes received (FETCH-BODY, RETR)
	logged   *atomic.Int32
	log      func(string)
	// interval paces the client's commands (0: no pacing); next is when
	// the next one may start.
	interval time.Duration
	next     time.Time
}

// pace waits until the client's next command may start (Config.Rate). A
// client that falls behind does not burst to catch up: the schedule moves
// on from now, so no more than one command per interval is ever sent.
func (r *recorder) pace(ctx context.Context) {
	if r.interval <= 0 {
		return
	}
	now := time.Now()
	if wait := r.next.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		now = time.Now()
	}
	r.next = now.Add(r.interval)
}

func newRecorder(from, to time.Time, logged *atomic.Int32, log func(string)) *recorder {
	return &recorder{from: from, to: to, hists: map[Op]*Histogram{}, errors: map[Op]uint64{}, logged: logged, log: log}
}

// measured tells whether a command that ended at t falls in the window.
func (r *recorder) measured(t time.Time) bool { return !t.Before(r.from) && !t.After(r.to) }

// ok records a command that started at start and succeeded now.
func (r *recorder) ok(op Op, start time.Time) {
	r.okDuration(op, time.Since(start))
}

// addBytes counts message bytes received now.
func (r *recorder) addBytes(n int64) {
	if r.measured(time.Now()) {
		r.bytes += uint64(n)
	}
}

// okDuration records a command that succeeded now and took d.
func (r *recorder) okDuration(op Op, d time.Duration) {
	if !r.measured(time.Now()) {
		return
	}
	h := r.hists[op]
	if h == nil {
		h = new(Histogram)
		r.hists[op] = h
	}
	h.Record(d)
}

// fail records a failed command, unless the run had ended (a command cut
// off by the end of the run is not the server's error).
func (r *recorder) fail(ctx context.Context, op Op, err error) {
	if ctx.Err() != nil || !r.measured(time.Now()) {
		return
	}
	r.errors[op]++
	if r.log != nil && r.logged.Add(1) <= maxLoggedErrors {
		r.log(fmt.Sprintf("%s: %v", op, err))
	}
}

// do runs f as command op and records it; it returns f's error.
func (r *recorder) do(ctx context.Context, op Op, f func() error) error {
	r.pace(ctx)
	start := time.Now()
	if err := f(); err != nil {
		r.fail(ctx, op, err)
		return err
	}
	r.ok(op, start)
	return nil
}

// Run runs the load described by cfg until its warmup and duration have
// passed (or ctx ends) and returns what was measured.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.IdleFor <= 0 {
		cfg.IdleFor = 100 * time.Millisecond
	}
	if cfg.Mailbox == "" {
		cfg.Mailbox = "INBOX"
	}
	if cfg.Scenario == ScenarioIMAP && len(cfg.Mix.Weights) == 0 {
		cfg.Mix = DefaultMix()
	}
	var pool [][]byte
	if cfg.Scenario == ScenarioIMAP {
		pool = appendPool(cfg.Seed)
	}
	start := time.Now()
	from, to := start.Add(cfg.Warmup), start.Add(cfg.Warmup+cfg.Duration)
	runCtx, cancel := context.WithDeadline(ctx, to)
	defer cancel()
	var logged atomic.Int32
	recs := make([]*recorder, cfg.Clients)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		recs[i] = newRecorder(from, to, &logged, cfg.Log)
		if cfg.Rate > 0 {
			recs[i].interval = time.Duration(float64(cfg.Clients) / cfg.Rate * float64(time.Second))
		}
		cred := cfg.Users[i%len(cfg.Users)]
		wg.Go(func() {
			switch cfg.Scenario {
			case ScenarioIMAP:
				w := &imapClient{cfg: &cfg, cred: cred, rec: recs[i], plan: NewPlan(cfg.Mix, cfg.Seed, i), pool: pool}
				loop(runCtx, w.session)
			default:
				w := &pop3Client{cfg: &cfg, cred: cred, rec: recs[i], drop: cfg.Scenario == ScenarioPOP3Drop}
				loop(runCtx, w.session)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	measured := min(time.Since(from), cfg.Duration)
	return newReport(&cfg, recs, measured), nil
}

// loop runs sessions one after the other until ctx ends.
func loop(ctx context.Context, session func(context.Context) error) {
	for ctx.Err() == nil {
		if err := session(ctx); err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(reconnectPause):
			}
		}
	}
}

// appendPoolSize is how many distinct messages the mix's APPENDs send:
// generated once, before the clock starts, so that the generator's own
// work is not measured.
const appendPoolSize = 64

// appendPoolBase numbers the APPENDed messages apart from those Load
// stores (0, 1, …), so that the two sets never share a Message-ID.
const appendPoolBase = 1 << 30

func appendPool(seed uint64) [][]byte {
	pool := make([][]byte, appendPoolSize)
	for i := range pool {
		pool[i] = Message(seed, appendPoolBase+i)
	}
	return pool
}
