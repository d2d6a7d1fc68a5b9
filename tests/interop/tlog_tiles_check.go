// Reads a log's C2SP tlog-tiles from a folder with golang.org/x/mod/sumdb/tlog (Go's own
// transparency-log code, not this project's) and checks them against a tree size and root:
// every entry bundle's leaves hash to the level-0 tile, inclusion proofs of the given records
// and consistency proofs from the given sizes, all built from the tiles by tlog and checked by tlog.
//
// usage: go run tlog_tiles_check.go DIR SIZE ROOT_BASE64 RECORDS(comma list) OLD_SIZES(comma list)
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

// C2SP tlog-tiles paths are Go's tile paths without the height element, and entry bundles are
// "entries" where Go's data tiles say "data".
func c2spPath(t tlog.Tile) string {
	rest := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(rest, "data/") {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func ints(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			fail("bad number %q", f)
		}
		out = append(out, n)
	}
	return out
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 6 {
		fail("usage: DIR SIZE ROOT RECORDS OLD_SIZES")
	}
	dir := os.Args[1]
	size, _ := strconv.ParseInt(os.Args[2], 10, 64)
	rootBytes, err := base64.StdEncoding.DecodeString(os.Args[3])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("bad root")
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}
	reader := tlog.TileHashReader(tree, dirTiles{dir})

	// Every entry bundle: its leaves hash (RFC 6962 record hash) to the level-0 hashes.
	leaves := int64(0)
	for n := int64(0); n*256 < size; n++ {
		w := size - n*256
		if w > 256 {
			w = 256
		}
		tile := tlog.Tile{H: 8, L: -1, N: n, W: int(w)}
		data, err := os.ReadFile(filepath.Join(dir, c2spPath(tile)))
		if err != nil {
			fail("%v", err)
		}
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				fail("bundle %d ends early", n)
			}
			l := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+l {
				fail("bundle %d ends inside a leaf", n)
			}
			index := n*256 + i
			stored, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
			if err != nil {
				fail("record %d: %v", index, err)
			}
			if tlog.RecordHash(data[2:2+l]) != stored[0] {
				fail("record %d: the bundle's leaf does not hash to the tree's leaf hash", index)
			}
			data = data[2+l:]
			leaves++
		}
		if len(data) != 0 {
			fail("bundle %d has %d bytes after its %d leaves", n, len(data), w)
		}
	}

	th, err := tlog.TreeHash(size, reader)
	if err != nil || th != root {
		fail("tree hash from tiles: %v (%v)", th, err)
	}
	for _, index := range ints(os.Args[4]) {
		proof, err := tlog.ProveRecord(size, index, reader)
		if err != nil {
			fail("prove record %d: %v", index, err)
		}
		hashes, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
		if err != nil {
			fail("%v", err)
		}
		if err := tlog.CheckRecord(proof, size, root, index, hashes[0]); err != nil {
			fail("check record %d: %v", index, err)
		}
	}
	oldRoots := map[string]string{}
	for _, old := range ints(os.Args[5]) {
		proof, err := tlog.ProveTree(size, old, reader)
		if err != nil {
			fail("prove tree %d: %v", old, err)
		}
		oldHash, err := tlog.TreeHash(old, reader)
		if err != nil {
			fail("%v", err)
		}
		if err := tlog.CheckTree(proof, size, root, old, oldHash); err != nil {
			fail("check tree %d: %v", old, err)
		}
		oldRoots[strconv.FormatInt(old, 10)] = base64.StdEncoding.EncodeToString(oldHash[:])
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"leaves": leaves, "root": base64.StdEncoding.EncodeToString(th[:]), "old_roots": oldRoots})
}
