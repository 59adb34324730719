package input

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseClientMetadata reads --client-metadata KEY=VALUE flags (the value may
// be empty or hold '='). It returns nil for no pairs.
func ParseClientMetadata(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("client metadata %s: want KEY=VALUE", shortQuote(p))
		case k == "":
			return nil, fmt.Errorf("client metadata %s: the key is empty", shortQuote(p))
		case !utf8.ValidString(p):
			return nil, fmt.Errorf("client metadata %s: not valid UTF-8", shortQuote(k))
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("client metadata %s: the key is given twice", shortQuote(k))
		}
		m[k] = v
	}
	return m, nil
}

// parseMetadataJSON reads a client_metadata value: a JSON object of string
// values ("null" means absent). Messages name keys, never values.
func parseMetadataJSON(s string) (map[string]string, error) {
	s = strings.Trim(s, jsonSpace)
	if !json.Valid([]byte(s)) {
		return nil, metadataErr(jsonSyntaxError([]byte(s)).Error())
	}
	switch s[0] {
	case 'n':
		return nil, nil
	case '{':
	default:
		return nil, metadataErr("got " + jsonKind(s[0]))
	}
	m := make(map[string]string)
	i := 1
	for {
		i = skipSpace(s, i)
		if s[i] == '}' {
			return m, nil
		}
		kEnd, _ := scanString(s, i)
		key, kok := unescape(s[i+1 : kEnd-1])
		i = skipSpace(s, skipSpace(s, kEnd)+1)
		vEnd := skipValue(s, i)
		val := s[i:vEnd]
		i = skipSpace(s, vEnd)
		if s[i] == ',' {
			i++
		}
		switch {
		case !kok:
			return nil, metadataErr("a key is not valid UTF-8")
		case key == "":
			return nil, metadataErr("a key is empty")
		case val[0] != '"':
			return nil, metadataErr(fmt.Sprintf("the value of %s is %s", shortQuote(key), jsonKind(val[0])))
		}
		if _, dup := m[key]; dup {
			return nil, metadataErr(fmt.Sprintf("the key %s appears twice", shortQuote(key)))
		}
		v, ok := unescape(val[1 : len(val)-1])
		if !ok {
			return nil, metadataErr(fmt.Sprintf("the value of %s is not valid UTF-8", shortQuote(key)))
		}
		m[key] = v
	}
}

func metadataErr(detail string) error {
	return errors.New("client_metadata: want a JSON object of strings: " + detail)
}
