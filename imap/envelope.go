package imap

import (
	"net/mail"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/ferrymail/ferrymail/store/structure"
)

// Placeholders for addresses imapserver would otherwise write as NIL,
// which a client reads as a group marker (RFC 9051 §7.5.2: a NIL host means
// group syntax). Dovecot uses the same spellings.
const (
	missingHost    = "MISSING_DOMAIN"
	missingMailbox = "MISSING_MAILBOX"
)

// envelope converts the ENVELOPE computed at ingest (RFC 9051 §7.5.2).
// Subject, names and message IDs keep their raw bytes (RFC 2047 words as
// stored; imapserver Q-encodes only non-ASCII text). Two things imapserver
// imposes: the date is re-formatted from its parsed value (NIL when it
// does not parse), and message IDs are written as "<" id ">", so the raw
// value's outer angle brackets are taken off here to come back unchanged.
func envelope(e *structure.Envelope) *imap.Envelope {
	out := &imap.Envelope{
		Subject: e.Subject,
		From:    addresses(e.From),
		Sender:  addresses(e.Sender),
		ReplyTo: addresses(e.ReplyTo),
		To:      addresses(e.To),
		Cc:      addresses(e.Cc),
		Bcc:     addresses(e.Bcc),
	}
	if t, err := mail.ParseDate(e.Date); err == nil {
		out.Date = t
	}
	// RFC 9051 §7.5.2: "If the Sender or Reply-To lines are absent in the
	// [RFC-5322] header, or are present but empty, the server sets the
	// corresponding member of the envelope to be the same value as the from
	// member." (imapserver does this for nil lists too.)
	if len(out.Sender) == 0 {
		out.Sender = out.From
	}
	if len(out.ReplyTo) == 0 {
		out.ReplyTo = out.From
	}
	if id := unbracket(e.InReplyTo); id != "" {
		out.InReplyTo = []string{id}
	}
	out.MessageID = unbracket(e.MessageID)
	return out
}

func unbracket(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

func addresses(list []structure.Address) []imap.Address {
	if len(list) == 0 {
		return nil
	}
	out := make([]imap.Address, 0, len(list))
	for _, a := range list {
		switch a.Kind {
		case structure.AddressGroupStart:
			// (NIL NIL "group name" NIL)
			name := a.Name
			if name == "" {
				name = missingMailbox
			}
			out = append(out, imap.Address{Mailbox: name})
		case structure.AddressGroupEnd:
			out = append(out, imap.Address{}) // (NIL NIL NIL NIL)
		default:
			addr := imap.Address{Name: a.Name, Mailbox: a.Mailbox, Host: a.Host}
			if addr.Mailbox == "" {
				addr.Mailbox = missingMailbox
			}
			if addr.Host == "" { // a bare local part, "To: root"
				addr.Host = missingHost
			}
			out = append(out, addr)
		}
	}
	return out
}

// bodyStructure converts a part's stored structure into BODYSTRUCTURE
// (RFC 9051 §7.5.2), always with the extension data, which imapserver
// leaves out for BODY.
func bodyStructure(p *structure.Part) imap.BodyStructure {
	if p.Type == "multipart" && len(p.Children) > 0 {
		mp := &imap.BodyStructureMultiPart{
			Subtype: p.Subtype,
			Extended: &imap.BodyStructureMultiPartExt{
				Params:      params(p.Params),
				Disposition: disposition(p),
				Language:    p.Language,
				Location:    p.Location,
			},
		}
		for i := range p.Children {
			mp.Children = append(mp.Children, bodyStructure(&p.Children[i]))
		}
		return mp
	}
	typ, sub := p.Type, p.Subtype
	if typ == "multipart" {
		// A multipart without a usable boundary or parts has no children,
		// which body-type-mpart cannot express (and imapserver panics on):
		// describe its bytes as what they are to a reader.
		typ, sub = "text", "plain"
	}
	if typ == "message" && (sub == "rfc822" || sub == "global") && p.Message == nil {
		// Not descended into (encoded, too deep): body-type-msg would need
		// an envelope we do not have, and a client reads "MESSAGE" "RFC822"
		// as body-type-msg whatever follows.
		typ, sub = "application", "octet-stream"
	}
	sp := &imap.BodyStructureSinglePart{
		Type:        typ,
		Subtype:     sub,
		Params:      params(p.Params),
		ID:          p.ID,
		Description: p.Description,
		Encoding:    p.Encoding,
		Size:        uint32(min(p.Size(), 1<<32-1)),
		Extended: &imap.BodyStructureSinglePartExt{
			Disposition: disposition(p),
			Language:    p.Language,
			Location:    p.Location,
		},
	}
	switch {
	case p.Message != nil:
		sp.MessageRFC822 = &imap.BodyStructureMessageRFC822{
			Envelope:      envelope(&p.Message.Envelope),
			BodyStructure: bodyStructure(&p.Message.Body),
			NumLines:      p.Lines,
		}
	case typ == "text":
		sp.Text = &imap.BodyStructureText{NumLines: p.Lines}
	}
	return sp
}

func params(ps []structure.Param) map[string]string {
	if len(ps) == 0 {
		return nil
	}
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		if _, dup := m[p.Name]; !dup {
			m[p.Name] = p.Value
		}
	}
	return m
}

func disposition(p *structure.Part) *imap.BodyStructureDisposition {
	if p.Disposition == "" {
		return nil
	}
	return &imap.BodyStructureDisposition{Value: p.Disposition, Params: params(p.DispositionParams)}
}
