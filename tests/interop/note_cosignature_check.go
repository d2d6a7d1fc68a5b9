// Opens a cosigned checkpoint with golang.org/x/mod/sumdb/note (Go's signed-note code, not this
// project's): the log's key is a note.NewVerifier (Ed25519, type 0x01); each witness key (type
// 0x04, C2SP tlog-cosignature) is a note.Verifier written here from the cosignature spec text:
// key hash SHA-256(name || "\n" || 0x04 || key)[:4], signature = 8-byte big-endian timestamp ||
// Ed25519 over "cosignature/v1\ntime <t>\n" || note text.
//
// usage: go run note_cosignature_check.go NOTE_FILE LOG_VKEY [WITNESS_VKEY ...]
// prints JSON {"text": ..., "verified": [names], "unverified": n}; exits 1 if note.Open fails.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type cosignatureV1 struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v cosignatureV1) Name() string    { return v.name }
func (v cosignatureV1) KeyHash() uint32 { return v.hash }
func (v cosignatureV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	var m bytes.Buffer
	fmt.Fprintf(&m, "cosignature/v1\ntime %d\n", t)
	m.Write(msg)
	return ed25519.Verify(v.key, m.Bytes(), sig[8:])
}

func witnessVerifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed witness key %q", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		return nil, fmt.Errorf("not a cosignature/v1 key %q", vkey)
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	if hex.EncodeToString(h[:4]) != parts[1] {
		return nil, fmt.Errorf("key hash mismatch in %q", vkey)
	}
	return cosignatureV1{parts[0], binary.BigEndian.Uint32(h[:4]), ed25519.PublicKey(raw[1:])}, nil
}

func main() {
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	logVerifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		panic(err)
	}
	verifiers := []note.Verifier{logVerifier}
	for _, vkey := range os.Args[3:] {
		v, err := witnessVerifier(vkey)
		if err != nil {
			panic(err)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := []string{}
	for _, s := range n.Sigs {
		names = append(names, s.Name)
	}
	out, _ := json.Marshal(map[string]any{"text": n.Text, "verified": names, "unverified": len(n.UnverifiedSigs)})
	fmt.Println(string(out))
}
