// Package importer will bring mailboxes across from Maildir, mbox, IMAP and
// POP3 sources with their UIDVALIDITY, UIDs and UIDLs intact, through the
// store's import path (store.ImportMailbox, store.Import). It is not written
// yet (issues 5 and 6): this file fixes its place in the layout of DESIGN.md.
package importer
