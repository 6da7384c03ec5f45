package admin

import (
	"time"

	"github.com/ferrymail/ferrymail/importer"
	"github.com/ferrymail/ferrymail/internal/observe"
)

// SetObserver makes o receive one Command per admin request and the
// totals of each import run (for metrics). Call it before Serve.
func (s *Server) SetObserver(o observe.Observer) {
	s.obs = observe.OrNop(o)
}

// knownOps are the ops of protocol.go: a metric label takes only these,
// so that a client cannot make up new series.
var knownOps = map[string]bool{
	opUserAdd: true, opUserList: true, opUserPasswd: true, opUserImport: true,
	opUserDelete: true, opMailboxList: true, opMessageList: true, opImport: true,
}

// observeRequest reports one answered request; the command name is its op,
// or "unknown".
func (s *Server) observeRequest(op string, d time.Duration, result any, err error) {
	if !knownOps[op] {
		op = "unknown"
	}
	outcome := observe.OK
	if err != nil {
		outcome = observe.Error
	}
	s.obs.Command(observe.Admin, op, outcome, d)
	rep, ok := result.(*importer.Report)
	if !ok || rep == nil || rep.DryRun {
		return
	}
	imported, skipped, failed, bytes := rep.Totals()
	s.obs.Import("imported", int64(imported), bytes)
	s.obs.Import("skipped", int64(skipped), 0)
	s.obs.Import("failed", int64(failed), 0)
}
