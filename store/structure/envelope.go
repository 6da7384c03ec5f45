package structure

// envelopeOf builds the RFC 9051 §7.5.2 envelope from a message header.
// Values stay as the header has them, unfolded and trimmed; encoded words
// are not decoded.
func envelopeOf(h *header) Envelope {
	return Envelope{
		Date:      h.get(fDate),
		Subject:   h.get(fSubject),
		From:      parseAddressList(h.get(fFrom)),
		Sender:    parseAddressList(h.get(fSender)),
		ReplyTo:   parseAddressList(h.get(fReplyTo)),
		To:        parseAddressList(h.get(fTo)),
		Cc:        parseAddressList(h.get(fCc)),
		Bcc:       parseAddressList(h.get(fBcc)),
		InReplyTo: h.get(fInReplyTo),
		MessageID: h.get(fMessageID),
	}
}
