package sshcfg

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"os"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/ssh"
)

// ErrHostKeyRevoked is wrapped when a host key (or the CA that signed its
// certificate) is listed in RevokedHostKeys or marked @revoked.
var ErrHostKeyRevoked = errors.New("host key revoked")

// revocationList is RevokedHostKeys as OpenSSH reads it (ssh_config(5)): a
// text file of public keys, one per line, or an OpenSSH Key Revocation List
// (KRL, PROTOCOL.krl) as `ssh-keygen -k` writes it.
type revocationList struct {
	keys   map[string]bool // plain public key blobs
	sha1   map[string]bool // SHA-1 of plain key blobs (KRL only)
	sha256 map[string]bool // SHA-256 of plain key blobs (KRL only)
	certs  []krlCerts      // per CA (KRL only)
}

// krlCerts are the revoked certificates of one CA ("" CA: any CA, key IDs only).
type krlCerts struct {
	ca      string // plain blob of the CA key; "" matches every CA
	serials []serialRange
	bitmaps []serialBitmap
	keyIDs  map[string]bool
}

type serialRange struct{ lo, hi uint64 }

type serialBitmap struct {
	offset uint64
	bits   *big.Int
}

// krlMagic starts every KRL: "SSHKRL\n\0".
const krlMagic = 0x5353484b524c0a00

// KRL section types (PROTOCOL.krl).
const (
	krlSectionCerts       = 1
	krlSectionExplicitKey = 2
	krlSectionSHA1        = 3
	krlSectionSignature   = 4
	krlSectionSHA256      = 5
	krlCertSerialList     = 0x20
	krlCertSerialRange    = 0x21
	krlCertSerialBitmap   = 0x22
	krlCertKeyID          = 0x23
	krlCertExtension      = 0x39
	maxKRLBitmapBytes     = 1 << 20 // a larger bitmap is refused rather than held
)

// loadRevocationList reads file. A file that cannot be read or parsed is an
// error: OpenSSH then refuses the host key rather than ignore the list.
func loadRevocationList(file string) (*revocationList, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("SSHKRL\n\x00")) {
		return parseKRL(data)
	}
	return parseRevokedText(data)
}

// parseRevokedText reads public keys in authorized_keys form, skipping blank
// lines and comments.
func parseRevokedText(data []byte) (*revocationList, error) {
	rl := &revocationList{keys: map[string]bool{}}
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		rl.keys[string(plainKey(k).Marshal())] = true
	}
	return rl, nil
}

// parseKRL decodes a binary KRL. Signatures are not checked (ssh does not
// either when reading RevokedHostKeys); unknown sections are an error.
func parseKRL(data []byte) (*revocationList, error) {
	rl := &revocationList{keys: map[string]bool{}, sha1: map[string]bool{}, sha256: map[string]bool{}}
	s := cryptobyte.String(data)
	var magic, krlVersion, date, flags uint64
	var format uint32
	var reserved, comment cryptobyte.String
	if !s.ReadUint64(&magic) || magic != krlMagic || !s.ReadUint32(&format) || format != 1 ||
		!s.ReadUint64(&krlVersion) || !s.ReadUint64(&date) || !s.ReadUint64(&flags) ||
		!readSSHString(&s, &reserved) || !readSSHString(&s, &comment) {
		return nil, errors.New("bad KRL header")
	}
	for !s.Empty() {
		var typ uint8
		var sec cryptobyte.String
		if !s.ReadUint8(&typ) || !readSSHString(&s, &sec) {
			return nil, errors.New("truncated KRL section")
		}
		switch typ {
		case krlSectionCerts:
			c, err := parseKRLCerts(sec)
			if err != nil {
				return nil, err
			}
			rl.certs = append(rl.certs, c)
		case krlSectionExplicitKey, krlSectionSHA1, krlSectionSHA256:
			set := map[uint8]map[string]bool{krlSectionExplicitKey: rl.keys, krlSectionSHA1: rl.sha1, krlSectionSHA256: rl.sha256}[typ]
			for !sec.Empty() {
				var blob cryptobyte.String
				if !readSSHString(&sec, &blob) {
					return nil, errors.New("truncated KRL key section")
				}
				set[string(blob)] = true
			}
		case krlSectionSignature:
			// Signatures come last and cover what precedes them.
			return rl, nil
		default:
			return nil, fmt.Errorf("unknown KRL section type %d", typ)
		}
	}
	return rl, nil
}

func parseKRLCerts(sec cryptobyte.String) (krlCerts, error) {
	var ca, reserved cryptobyte.String
	if !readSSHString(&sec, &ca) || !readSSHString(&sec, &reserved) {
		return krlCerts{}, errors.New("truncated KRL certificate section")
	}
	c := krlCerts{ca: string(ca), keyIDs: map[string]bool{}}
	if len(ca) > 0 {
		k, err := ssh.ParsePublicKey(ca)
		if err != nil {
			return krlCerts{}, fmt.Errorf("bad CA key in KRL: %w", err)
		}
		c.ca = string(plainKey(k).Marshal())
	}
	for !sec.Empty() {
		var typ uint8
		var sub cryptobyte.String
		if !sec.ReadUint8(&typ) || !readSSHString(&sec, &sub) {
			return krlCerts{}, errors.New("truncated KRL certificate subsection")
		}
		switch typ {
		case krlCertSerialList:
			for !sub.Empty() {
				var v uint64
				if !sub.ReadUint64(&v) {
					return krlCerts{}, errors.New("truncated KRL serial list")
				}
				c.serials = append(c.serials, serialRange{v, v})
			}
		case krlCertSerialRange:
			var lo, hi uint64
			if !sub.ReadUint64(&lo) || !sub.ReadUint64(&hi) || !sub.Empty() || lo > hi {
				return krlCerts{}, errors.New("bad KRL serial range")
			}
			c.serials = append(c.serials, serialRange{lo, hi})
		case krlCertSerialBitmap:
			var off uint64
			var mp cryptobyte.String
			if !sub.ReadUint64(&off) || !readSSHString(&sub, &mp) || !sub.Empty() || len(mp) > maxKRLBitmapBytes {
				return krlCerts{}, errors.New("bad KRL serial bitmap")
			}
			c.bitmaps = append(c.bitmaps, serialBitmap{off, new(big.Int).SetBytes(mp)})
		case krlCertKeyID:
			for !sub.Empty() {
				var id cryptobyte.String
				if !readSSHString(&sub, &id) {
					return krlCerts{}, errors.New("truncated KRL key ID list")
				}
				c.keyIDs[string(id)] = true
			}
		case krlCertExtension:
			// Extensions are optional unless marked critical; none is
			// defined, so ignoring them is what ssh-keygen's reader does.
		default:
			return krlCerts{}, fmt.Errorf("unknown KRL certificate subsection %#x", typ)
		}
	}
	return c, nil
}

// plainKey is the key a certificate certifies, or the key itself.
func plainKey(k ssh.PublicKey) ssh.PublicKey {
	if c, ok := k.(*ssh.Certificate); ok {
		return c.Key
	}
	return k
}

// revoked reports whether key is revoked: the key itself (a certificate's
// certified key included), a certificate's signing CA, or the certificate by
// serial or key ID, as ssh_krl_check_key does.
func (rl *revocationList) revoked(key ssh.PublicKey) bool {
	if rl.keyRevoked(plainKey(key)) {
		return true
	}
	cert, ok := key.(*ssh.Certificate)
	if !ok {
		return false
	}
	if rl.keyRevoked(cert.SignatureKey) {
		return true
	}
	ca := string(plainKey(cert.SignatureKey).Marshal())
	for _, c := range rl.certs {
		if c.ca != "" && c.ca != ca {
			continue
		}
		if c.keyIDs[cert.KeyId] {
			return true
		}
		if c.ca == "" || cert.Serial == 0 {
			// Serials belong to one CA; 0 is "no serial".
			continue
		}
		for _, r := range c.serials {
			if cert.Serial >= r.lo && cert.Serial <= r.hi {
				return true
			}
		}
		for _, b := range c.bitmaps {
			if cert.Serial >= b.offset && cert.Serial-b.offset < uint64(b.bits.BitLen()) && b.bits.Bit(int(cert.Serial-b.offset)) == 1 {
				return true
			}
		}
	}
	return false
}

func (rl *revocationList) keyRevoked(k ssh.PublicKey) bool {
	blob := plainKey(k).Marshal()
	if rl.keys[string(blob)] {
		return true
	}
	h1 := sha1.Sum(blob)
	h256 := sha256.Sum256(blob)
	return rl.sha1[string(h1[:])] || rl.sha256[string(h256[:])]
}

// readSSHString reads an SSH "string" (uint32 length, then the bytes).
func readSSHString(s, out *cryptobyte.String) bool {
	var n uint32
	if !s.ReadUint32(&n) || uint64(n) > uint64(len(*s)) {
		return false
	}
	return s.ReadBytes((*[]byte)(out), int(n))
}
